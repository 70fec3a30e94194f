{#-
  Current marks only. A re-analysed dialog is sent again with its new criteria, all stamped with
  the new finished_at; a criterion the new analysis no longer has stays in the loader's table
  with the old one (Singer deletes nothing), and is left out here.
-#}
{%- set criteria = source('aiokk', 'dialog_criteria') -%}
with loaded as (
    select
        {{ typed(criteria, 'dialog_id', dbt.type_bigint()) }} as dialog_id,
        {{ typed(criteria, 'number', dbt.type_bigint()) }} as criterion_number,
        {{ typed(criteria, 'description', dbt.type_string()) }} as description,
        {{ typed(criteria, 'mark', dbt.type_numeric()) }} as mark,
        {{ utc(criteria, 'finished_at') }} as analysis_finished_at
    from {{ loaded_table(criteria) }}
)

select loaded.*
from loaded
inner join {{ ref('stg_aiokk__dialogs') }} as dialogs
    on dialogs.dialog_id = loaded.dialog_id
    and dialogs.analysis_finished_at = loaded.analysis_finished_at
