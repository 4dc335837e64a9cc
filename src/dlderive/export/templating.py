"""Jinja2 environments for the document templates in dlderive/templates."""
from __future__ import annotations

from functools import lru_cache

import jinja2

_LATEX_SYNTAX = dict(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                     variable_end_string=")))", comment_start_string="((=", comment_end_string="=))")


@lru_cache(maxsize=None)
def _environment(kind: str) -> jinja2.Environment:
    options = dict(loader=jinja2.PackageLoader("dlderive", "templates"), undefined=jinja2.StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    if kind == "tex":
        return jinja2.Environment(autoescape=False, **options, **_LATEX_SYNTAX)
    if kind == "html":
        return jinja2.Environment(autoescape=True, **options)
    return jinja2.Environment(autoescape=False, **options)


def render_template(name: str, filters: dict, **context) -> str:
    """Render template ``name`` (its suffix picks the syntax and escaping) with the format's filters."""
    kind = name.rsplit(".", 2)[-2]
    template = _environment(kind).overlay(undefined=jinja2.StrictUndefined)
    template.filters.update(filters)
    return template.get_template(name).render(**context)
