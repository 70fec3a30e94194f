{#- The columns, together, identify each row: no combination of their values is there twice. -#}
{% test unique_together(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_these_values
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
