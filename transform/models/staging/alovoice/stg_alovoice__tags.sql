{#- Rules of calls whose analysis is done, matched (a value) or not. -#}
{%- set tags = source('alovoice', 'tags') -%}
with loaded as (
    select
        {{ typed(tags, 'call_id', dbt.type_string()) }} as call_id,
        {{ typed(tags, 'position', dbt.type_bigint()) }} as position,
        {{ typed(tags, 'name', dbt.type_string()) }} as rule_name,
        {{ typed(tags, 'matched', dbt.type_boolean()) }} as matched,
        {{ typed(tags, 'match_text', dbt.type_string()) }} as match_text
    from {{ loaded_table(tags) }}
)

select loaded.*
from loaded
inner join {{ ref('stg_alovoice__analyses') }} as analyses
    on analyses.call_id = loaded.call_id
    and analyses.status = 'done'
