{#
  A text such as twin24's nps ("8") as a number, and null when it is not a whole number: twin24
  documents nps only as the script's text, so a word there must not fail the build. This
  SIMILAR TO pattern (digits and a count, nothing else) matches alike in Postgres and DuckDB;
  `.`, `_` and `%` would not.
#}
{% macro whole_number(text) %}
  case when trim({{ text }}) similar to '[0-9]{1,9}'
    then cast(trim({{ text }}) as {{ dbt.type_numeric() }}) end
{%- endmacro %}
