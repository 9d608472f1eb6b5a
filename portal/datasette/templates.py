"""Datasette hooks for its pages: the portal's header and footer, and short Japanese help per page."""

from __future__ import annotations

from datasette import hookimpl
from jinja2 import ChoiceLoader, FileSystemLoader

from .. import paths


@hookimpl
def prepare_jinja2_environment(env):
    """Let Datasette's pages include the portal's own header and footer (templates/_site_*.html)."""
    env.loader = ChoiceLoader([env.loader, FileSystemLoader(str(paths.TEMPLATES))])


@hookimpl
def extra_template_vars(view_name):
    """Which short Japanese help to show on a Datasette page."""
    return {"portal_view": view_name}
