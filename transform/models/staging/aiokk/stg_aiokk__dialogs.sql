{%- set dialogs = source('aiokk', 'dialogs') -%}
select
    {{ typed(dialogs, 'dialog_id', dbt.type_bigint()) }} as dialog_id,
    {{ utc(dialogs, 'call_date') }} as call_started_at,
    {{ utc(dialogs, 'created_at') }} as created_at,
    {{ utc(dialogs, 'finished_at') }} as analysis_finished_at,
    {{ typed(dialogs, 'call_type', dbt.type_bigint()) }} as call_type,
    {{ typed(dialogs, 'duration_sec', dbt.type_bigint()) }} as duration_seconds,
    {{ typed(dialogs, 'operator_id', dbt.type_bigint()) }} as operator_id,
    {{ typed(dialogs, 'operator_name', dbt.type_string()) }} as operator_name,
    {{ typed(dialogs, 'department_id', dbt.type_string()) }} as department_id,
    {{ typed(dialogs, 'department_name', dbt.type_string()) }} as department_name,
    {{ typed(dialogs, 'price', dbt.type_numeric()) }} as analysis_price,
    {{ typed(dialogs, 'summary', dbt.type_string()) }} as summary,
    {{ typed(dialogs, 'evaluation_title', dbt.type_string()) }} as evaluation_title,
    {{ typed(dialogs, 'evaluation_grade', dbt.type_numeric()) }} as evaluation_grade,
    {{ typed(dialogs, 'evaluation_max_grade', dbt.type_numeric()) }} as evaluation_max_grade,
    {{ typed(dialogs, 'client_loyalty_grade', dbt.type_numeric()) }} as client_loyalty_grade,
    {{ typed(dialogs, 'client_loyalty_description', dbt.type_string()) }} as client_loyalty_description,
    {{ typed(dialogs, 'signals_title', dbt.type_string()) }} as signals_title,
    {{ typed(dialogs, 'signals_count', dbt.type_bigint()) }} as signals_count
from {{ loaded_table(dialogs) }}
