{# The grain of a model with a composite key: no two rows share the columns (no package needed). #}
{% test unique_grain(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
