{#-
  One row per call and measure. value is the measure as a number where it has one; max_value is
  its scale where the vendor gives one, and score is value / max_value (0 to 1), comparable across
  measures and vendors.
-#}
with aiokk_grades as (
    select
        'aiokk' as vendor,
        cast(dialog_id as {{ dbt.type_string() }}) as vendor_call_id,
        'overall_grade' as measure,
        cast(null as {{ dbt.type_string() }}) as item,
        evaluation_grade as value,
        evaluation_max_grade as max_value,
        evaluation_title as text
    from {{ ref('stg_aiokk__dialogs') }}
    where evaluation_grade is not null
),

aiokk_criteria as (
    select
        'aiokk' as vendor,
        cast(dialog_id as {{ dbt.type_string() }}) as vendor_call_id,
        'criterion' as measure,
        cast(criterion_number as {{ dbt.type_string() }}) as item,
        mark as value,
        cast(null as {{ dbt.type_numeric() }}) as max_value,
        description as text
    from {{ ref('stg_aiokk__dialog_criteria') }}
),

aiokk_loyalty as (
    select
        'aiokk' as vendor,
        cast(dialog_id as {{ dbt.type_string() }}) as vendor_call_id,
        'client_loyalty' as measure,
        cast(null as {{ dbt.type_string() }}) as item,
        client_loyalty_grade as value,
        cast(10 as {{ dbt.type_numeric() }}) as max_value,
        client_loyalty_description as text
    from {{ ref('stg_aiokk__dialogs') }}
    where client_loyalty_grade is not null
),

aiokk_words as (
    select
        dialog_id,
        {{ dbt.listagg("signal_word", "', '", "order by position") }} as words
    from {{ ref('stg_aiokk__dialog_signals') }}
    group by dialog_id
),

aiokk_signals as (
    select
        'aiokk' as vendor,
        cast(dialogs.dialog_id as {{ dbt.type_string() }}) as vendor_call_id,
        'signal_words' as measure,
        dialogs.signals_title as item,
        cast(dialogs.signals_count as {{ dbt.type_numeric() }}) as value,
        cast(null as {{ dbt.type_numeric() }}) as max_value,
        aiokk_words.words as text
    from {{ ref('stg_aiokk__dialogs') }} as dialogs
    left join aiokk_words on aiokk_words.dialog_id = dialogs.dialog_id
    where dialogs.signals_count is not null
),

alovoice_rules as (
    select
        'alovoice' as vendor,
        call_id as vendor_call_id,
        'rule' as measure,
        rule_name as item,
        cast(sum(case when matched then 1 else 0 end) as {{ dbt.type_numeric() }}) as value,
        cast(null as {{ dbt.type_numeric() }}) as max_value,
        {{ dbt.listagg("case when matched then match_text end", "' | '", "order by position") }}
            as text
    from {{ ref('stg_alovoice__tags') }}
    group by call_id, rule_name
),

twin24_results as (
    select
        'twin24' as vendor,
        call_id as vendor_call_id,
        'dialog_result' as measure,
        cast(null as {{ dbt.type_string() }}) as item,
        cast(null as {{ dbt.type_numeric() }}) as value,
        cast(null as {{ dbt.type_numeric() }}) as max_value,
        dialog_result as text
    from {{ ref('stg_twin24__calls') }}
    where dialog_result is not null
),

twin24_nps as (
    select
        'twin24' as vendor,
        call_id as vendor_call_id,
        'nps' as measure,
        cast(null as {{ dbt.type_string() }}) as item,
        {{ whole_number('nps') }} as value,
        cast(10 as {{ dbt.type_numeric() }}) as max_value,
        nps as text
    from {{ ref('stg_twin24__calls') }}
    where nps is not null
),

unioned as (
    select * from aiokk_grades
    union all
    select * from aiokk_criteria
    union all
    select * from aiokk_loyalty
    union all
    select * from aiokk_signals
    union all
    select * from alovoice_rules
    union all
    select * from twin24_results
    union all
    select * from twin24_nps
)

select
    {{ dbt.concat(["vendor", "':'", "vendor_call_id", "':'", "measure",
        "case when measure in ('criterion', 'rule') then " ~ dbt.concat(["':'", "item"]) ~ " else '' end"]) }}
        as quality_key,
    {{ dbt.concat(["vendor", "':'", "vendor_call_id"]) }} as call_key,
    vendor,
    measure,
    item,
    value,
    max_value,
    cast(case when max_value > 0 then value / max_value end as {{ dbt.type_numeric() }}) as score,
    text
from unioned
