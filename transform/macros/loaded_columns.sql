{#
  The loaders name a tap's columns each in their own way: twin24's `createdAt` is `createdat` in
  target-duckdb, `"createdAt"` in target-postgres and `CREATEDAT` in target-snowflake. These
  macros find the loaded column whose name, lower-cased and without `_`, is the tap's, so one
  staging model reads every loader's tables.
#}

{#
  A table no tap has loaded into (a vendor you do not use, or a stream left out by `select`)
  gives no rows: its columns are nulls and `loaded_table` an empty one, and the build logs
  which table it skipped. Every other staging model and mart is built as usual.
#}

{% macro is_loaded(relation) %}
  {%- if not execute -%}
    {{ return(true) }}
  {%- endif -%}
  {%- set found = adapter.get_relation(
    database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
  {{ return(found is not none) }}
{% endmacro %}

{% macro loaded_table(relation) %}
  {%- if is_loaded(relation) -%}
    {{ return(relation) }}
  {%- endif -%}
  {{ log("call_model: " ~ relation ~ " is not loaded, so " ~ this.identifier
         ~ " has no rows from it (load it with its tap, or set the utility's *_schema setting "
         ~ "to the schema the loader writes)", info=true) }}
  {{ return("(select 1 as nothing) as not_loaded where 1 = 0") }}
{% endmacro %}

{% macro loaded_column(relation, name) %}
  {%- if not execute -%}
    {{ return(adapter.quote(name)) }}
  {%- endif -%}
  {%- if not is_loaded(relation) -%}
    {{ return("null") }}
  {%- endif -%}
  {%- set column = _loaded(relation, name) -%}
  {{ return(adapter.quote(column.name)) }}
{% endmacro %}

{% macro _loaded(relation, name) %}
  {%- set wanted = modules.re.sub('[^a-z0-9]', '', name | lower) -%}
  {%- set columns = adapter.get_columns_in_relation(relation) -%}
  {%- for column in columns -%}
    {%- if modules.re.sub('[^a-z0-9]', '', column.name | lower) == wanted -%}
      {{ return(column) }}
    {%- endif -%}
  {%- endfor -%}
  {{ exceptions.raise_compiler_error(
    relation ~ " has no column " ~ name ~ " (it has " ~ (columns | map(attribute='name') | join(', '))
    ~ "): load it with this version of the tap") }}
{% endmacro %}

{#
  The column, cast to `type`. An empty text is null: target-duckdb loads "" as null and
  target-postgres keeps it, and the marts must not differ by loader.
#}
{% macro typed(relation, name, type) %}
  {%- set cast = "cast(" ~ loaded_column(relation, name) ~ " as " ~ type ~ ")" -%}
  {%- if type == dbt.type_string() -%}
    {{- return("nullif(" ~ cast ~ ", '')") -}}
  {%- endif -%}
  {{- return(cast) -}}
{% endmacro %}

{#
  A loaded timestamp as a UTC timestamp without a zone. The taps send UTC; target-postgres and
  target-duckdb keep it in a column without a zone, which is cast as it is. A loader that keeps
  the zone (a timestamptz column) gets it converted to UTC, not to the session's zone.
#}
{% macro utc(relation, name) %}
  {%- set quoted = loaded_column(relation, name) -%}
  {%- if execute and is_loaded(relation)
        and 'with time zone' in (_loaded(relation, name).data_type | lower) -%}
    {{- return("cast(timezone('UTC', " ~ quoted ~ ") as " ~ dbt.type_timestamp() ~ ")") -}}
  {%- endif -%}
  {{- return("cast(" ~ quoted ~ " as " ~ dbt.type_timestamp() ~ ")") -}}
{% endmacro %}
