"""The Japanese words of Datasette's pages that its templates cannot hold themselves.

Datasette 0.65 has no translation mechanism, so its templates are overridden
by name (templates/datasette/) and the helpers below are given to them as
`ja` through the extra_template_vars hook (templates.py).  Each job has its
module: the schema's words — titles, labels of codes, filter operators
(labels.py); the reading order of tables and columns (reading.py); SQLite's
error messages in Japanese (messages.py); the switches and facets
(switches.py).
"""

from __future__ import annotations

# what the templates call as ja.<name>, each from the module that does that job
from .labels import (  # noqa: F401
    code_label,
    code_labels,
    column_title,
    fields,
    lookup_name,
    mark_code,
    names,
    query_code_label,
    shown_value,
    table_titles,
)
from .messages import error_in_japanese  # noqa: F401
from .reading import (  # noqa: F401
    arrange,
    column_summary,
    main_tables,
    ordered_cells,
    page_link,
    reading_columns,
    table_order,
    unique_facets,
)
from .switches import facet_values  # noqa: F401 (the facet template's helper)
