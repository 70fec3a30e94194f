{%- set analyses = source('alovoice', 'analyses') -%}
select
    {{ typed(analyses, 'call_id', dbt.type_string()) }} as call_id,
    {{ typed(analyses, 'status', dbt.type_string()) }} as status,
    {{ utc(analyses, 'begin_time') }} as call_started_at,
    {{ utc(analyses, 'collected_at') }} as collected_at,
    {{ typed(analyses, 'error', dbt.type_string()) }} as error
from {{ loaded_table(analyses) }}
