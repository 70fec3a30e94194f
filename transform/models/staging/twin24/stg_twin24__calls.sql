{%- set calls = source('twin24', 'calls') -%}
select
    {{ typed(calls, 'id', dbt.type_string()) }} as call_id,
    {{ utc(calls, 'startedAt') }} as started_at,
    {{ utc(calls, 'createdAt') }} as created_at,
    {{ utc(calls, 'updatedAt') }} as updated_at,
    {{ typed(calls, 'status', dbt.type_string()) }} as status,
    {{ typed(calls, 'isFinished', dbt.type_boolean()) }} as is_finished,
    {{ typed(calls, 'duration', dbt.type_bigint()) }} as duration_seconds,
    {{ typed(calls, 'price', dbt.type_numeric()) }} as price,
    {{ typed(calls, 'taskId', dbt.type_string()) }} as task_id,
    {{ typed(calls, 'taskName', dbt.type_string()) }} as task_name,
    {{ typed(calls, 'botName', dbt.type_string()) }} as bot_name,
    {{ typed(calls, 'responder', dbt.type_string()) }} as responder,
    {{ typed(calls, 'transferredToOperator', dbt.type_boolean()) }} as transferred_to_operator,
    {#- twin24 sends "" (or blanks) for no result. #}
    nullif(trim({{ typed(calls, 'dialogResults', dbt.type_string()) }}), '') as dialog_result,
    nullif(trim({{ typed(calls, 'nps', dbt.type_string()) }}), '') as nps
from {{ loaded_table(calls) }}
