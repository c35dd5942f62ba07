{# The business day of a UTC timestamp (TIMESTAMP_NTZ holding UTC) in the certified timezone. #}
{% macro business_day(column) -%}
    cast(convert_timezone('UTC', '{{ var("business_tz") }}', {{ column }}) as date)
{%- endmacro %}

{# A sum kept an exact integer: fakesnow returns SUM over NUMBER as a float (DEVELOPERS.md). #}
{% macro sum_minor(expr) -%}
    cast(coalesce(sum({{ expr }}), 0) as number(38, 0))
{%- endmacro %}

{# The post-hook of every mart: when this is the model's latest version, <schema>.<name> (the stable,
   unversioned name) becomes a view on it. #}
{% macro northstar_latest_version_view() %}
    {% if model.version is not none and model.version == model.latest_version %}
        create or replace view {{ this.database }}.{{ this.schema }}.{{ model.name }} as select * from {{ this }}
    {% else %}
        select 1
    {% endif %}
{% endmacro %}

{# Publication schemas are named by the profile (MARTS_PUB_<id>), never suffixed. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ target.schema }}
{%- endmacro %}

{# CORE.ORDERS or CORE.ORDER_LINES without the orders deleted at the source (_DELETED_AT, set by the source
   reconciliation and kept for audit): what every mart reads, so a deleted order leaves the marts. #}
{% macro live(table) -%}
    (select * from {{ source('core', table) }} where _deleted_at is null)
{%- endmacro %}
