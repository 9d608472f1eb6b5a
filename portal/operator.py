"""Who runs this portal, and how to reach them: a setting of the deployment, not of the data.

The operator's name and contact come from the environment
(PORTAL_OPERATOR_NAME, PORTAL_OPERATOR_CONTACT; `portal serve
--operator-name/--operator-contact` sets them for the server's workers).
The pages, the feed and the DCAT read them when they are served; `portal
build` reads them for the files' 「この資料について」 sheet.  Until they are
set, every place that would name the operator says plainly that it has not
been set (tables.yaml `names.operator_unset`) rather than naming anyone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

NAME_ENV = "PORTAL_OPERATOR_NAME"
CONTACT_ENV = "PORTAL_OPERATOR_CONTACT"
#: the longest name and contact accepted: one line each, as on a page's footer
MAX_NAME, MAX_CONTACT = 100, 200
EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
URL = re.compile(r"^https?://[^\s<>\"]+$")


@dataclass(frozen=True)
class Operator:
    name: str | None = None
    contact: str | None = None  #: an e-mail address or an http(s) URL

    @property
    def is_set(self) -> bool:
        return self.name is not None

    @property
    def href(self) -> str | None:
        """The contact as a link: mailto: for an address, the URL itself for a page."""
        if self.contact is None:
            return None
        return self.contact if URL.match(self.contact) else f"mailto:{self.contact}"


def check_name(value: str | None) -> str | None:
    """A name of one printable line, or None for empty; ValueError (in Japanese) otherwise."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_NAME or not value.isprintable():
        raise ValueError(f"運営者の名前は {MAX_NAME} 文字までの一行にしてください。")
    return value


def check_contact(value: str | None) -> str | None:
    """An e-mail address or an http(s) URL, or None for empty; ValueError (in Japanese) otherwise."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_CONTACT or not (EMAIL.match(value) or URL.match(value)):
        raise ValueError("運営者の連絡先は、メールアドレスか http:// または https:// で始まる URL にしてください。")
    return value


def from_env(environ=None) -> Operator:
    """The operator the environment names; a value that is not a name or a contact is ignored as not set."""
    environ = os.environ if environ is None else environ
    try:
        name = check_name(environ.get(NAME_ENV))
    except ValueError:
        name = None
    try:
        contact = check_contact(environ.get(CONTACT_ENV))
    except ValueError:
        contact = None
    return Operator(name, contact if name else None)


def site_context() -> dict:
    """What the header and footer every page shares need beyond the page itself: the portal's words
    (tables.yaml `names`), the attribution, and the operator."""
    from .pipeline.display import names
    from .pipeline.schema import package_meta

    return {"NAMES": names(), "ATTRIBUTION": package_meta()["attribution"], "operator": from_env()}
