{#- Current signal words only: as for criteria, those of the dialog's latest analysis. -#}
{%- set signals = source('aiokk', 'dialog_signals') -%}
with loaded as (
    select
        {{ typed(signals, 'dialog_id', dbt.type_bigint()) }} as dialog_id,
        {{ typed(signals, 'position', dbt.type_bigint()) }} as position,
        {{ typed(signals, 'signal', dbt.type_string()) }} as signal_word,
        {{ utc(signals, 'finished_at') }} as analysis_finished_at
    from {{ loaded_table(signals) }}
)

select loaded.*
from loaded
inner join {{ ref('stg_aiokk__dialogs') }} as dialogs
    on dialogs.dialog_id = loaded.dialog_id
    and dialogs.analysis_finished_at = loaded.analysis_finished_at
