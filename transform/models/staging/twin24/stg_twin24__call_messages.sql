{#-
  Lines of each call's current version only. An updated call is sent again with its whole
  transcript, every line stamped with the call's new updatedAt; when the new transcript is
  shorter, the lines past its end stay in the loader's table with the old one (Singer deletes
  nothing), and are left out here.
-#}
{%- set messages = source('twin24', 'call_messages') -%}
with loaded as (
    select
        {{ typed(messages, 'call_id', dbt.type_string()) }} as call_id,
        {{ typed(messages, 'position', dbt.type_bigint()) }} as position,
        {{ typed(messages, 'author', dbt.type_string()) }} as author,
        {{ typed(messages, 'text', dbt.type_string()) }} as text,
        {{ utc(messages, 'created_at') }} as spoken_at,
        {{ utc(messages, 'call_updated_at') }} as call_updated_at
    from {{ loaded_table(messages) }}
)

select loaded.*
from loaded
inner join {{ ref('stg_twin24__calls') }} as calls
    on calls.call_id = loaded.call_id
    and calls.updated_at = loaded.call_updated_at
