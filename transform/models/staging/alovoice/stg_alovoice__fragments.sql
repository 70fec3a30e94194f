{#- Fragments of calls whose analysis is done: a result is sent once, when it is complete. -#}
{%- set fragments = source('alovoice', 'fragments') -%}
with loaded as (
    select
        {{ typed(fragments, 'call_id', dbt.type_string()) }} as call_id,
        {{ typed(fragments, 'position', dbt.type_bigint()) }} as position,
        {{ typed(fragments, 'direction', dbt.type_string()) }} as direction,
        {{ typed(fragments, 'text', dbt.type_string()) }} as text,
        {{ typed(fragments, 'begin_ms', dbt.type_bigint()) }} as begin_ms,
        {{ typed(fragments, 'end_ms', dbt.type_bigint()) }} as end_ms
    from {{ loaded_table(fragments) }}
)

select loaded.*
from loaded
inner join {{ ref('stg_alovoice__analyses') }} as analyses
    on analyses.call_id = loaded.call_id
    and analyses.status = 'done'
