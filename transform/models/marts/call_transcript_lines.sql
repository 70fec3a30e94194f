{#- Every current transcript line, speakers named alike across vendors. aiokk sends no transcript. -#}
with twin24 as (
    select
        'twin24' as vendor,
        call_id as vendor_call_id,
        position,
        case author when 'robot' then 'robot' when 'user' then 'client' else author end
            as speaker,
        text,
        spoken_at,
        cast(null as {{ dbt.type_bigint() }}) as offset_ms,
        cast(null as {{ dbt.type_bigint() }}) as end_offset_ms
    from {{ ref('stg_twin24__call_messages') }}
),

alovoice as (
    select
        'alovoice' as vendor,
        call_id as vendor_call_id,
        position,
        direction as speaker,
        text,
        cast(null as {{ dbt.type_timestamp() }}) as spoken_at,
        begin_ms as offset_ms,
        end_ms as end_offset_ms
    from {{ ref('stg_alovoice__fragments') }}
),

unioned as (
    select * from twin24
    union all
    select * from alovoice
)

select
    {{ dbt.concat(["vendor", "':'", "vendor_call_id", "':'",
        "cast(position as " ~ dbt.type_string() ~ ")"]) }} as line_key,
    {{ dbt.concat(["vendor", "':'", "vendor_call_id"]) }} as call_key,
    vendor,
    position,
    speaker,
    text,
    spoken_at,
    offset_ms,
    end_offset_ms
from unioned
