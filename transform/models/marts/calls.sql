{#- One row per call of any vendor; call_key is unique across vendors. -#}
with aiokk as (
    select
        'aiokk' as vendor,
        cast(dialog_id as {{ dbt.type_string() }}) as vendor_call_id,
        call_started_at as started_at,
        duration_seconds,
        case when call_type in (1, 4) then 'outgoing'
            when call_type in (2, 3) then 'incoming' end as direction,
        case call_type when 1 then 'outgoing' when 2 then 'incoming'
            when 3 then 'incoming_redirected' when 4 then 'callback' end as call_type,
        cast(operator_id as {{ dbt.type_string() }}) as operator_id,
        operator_name,
        department_id,
        department_name,
        'analysed' as status,
        analysis_price as cost
    from {{ ref('stg_aiokk__dialogs') }}
),

twin24 as (
    select
        'twin24' as vendor,
        call_id as vendor_call_id,
        started_at,
        duration_seconds,
        'outgoing' as direction,
        'robot' as call_type,
        cast(null as {{ dbt.type_string() }}) as operator_id,
        cast(null as {{ dbt.type_string() }}) as operator_name,
        cast(null as {{ dbt.type_string() }}) as department_id,
        cast(null as {{ dbt.type_string() }}) as department_name,
        status,
        price as cost
    from {{ ref('stg_twin24__calls') }}
),

alovoice_lengths as (
    select call_id, max(end_ms) as last_end_ms
    from {{ ref('stg_alovoice__fragments') }}
    group by call_id
),

alovoice as (
    select
        'alovoice' as vendor,
        analyses.call_id as vendor_call_id,
        analyses.call_started_at as started_at,
        cast(round(alovoice_lengths.last_end_ms / 1000.0) as {{ dbt.type_bigint() }})
            as duration_seconds,
        cast(null as {{ dbt.type_string() }}) as direction,
        'recorded' as call_type,
        cast(null as {{ dbt.type_string() }}) as operator_id,
        cast(null as {{ dbt.type_string() }}) as operator_name,
        cast(null as {{ dbt.type_string() }}) as department_id,
        cast(null as {{ dbt.type_string() }}) as department_name,
        analyses.status,
        cast(null as {{ dbt.type_numeric() }}) as cost
    from {{ ref('stg_alovoice__analyses') }} as analyses
    left join alovoice_lengths on alovoice_lengths.call_id = analyses.call_id
),

unioned as (
    select * from aiokk
    union all
    select * from twin24
    union all
    select * from alovoice
)

select
    {{ dbt.concat(["vendor", "':'", "vendor_call_id"]) }} as call_key,
    unioned.*
from unioned
