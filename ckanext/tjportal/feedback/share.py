"""Sharing (分享) of dataset and data-service pages: the page address, the
Weibo share link and the WeChat QR code."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.constants
import qrcode.image.svg

import ckan.plugins.toolkit as tk

WEIBO_SHARE_URL = "https://service.weibo.com/share/share.php"


def page_url(package: dict[str, Any]) -> str:
    """Return the absolute address of a dataset's page, without a language
    prefix, so that the people it is shared with see their own language."""
    return tk.url_for("{}.read".format(package["type"]), id=package["name"], qualified=True, locale="default")


def weibo_url(package: dict[str, Any]) -> str:
    """Return the Weibo link that opens a post with the page's title and
    address."""
    title = package.get("title") or package["name"]
    return "{}?{}".format(WEIBO_SHARE_URL, urlencode({"url": page_url(package), "title": title}))


def qrcode_svg(text: str) -> bytes:
    """Encode text as a QR code in a standalone SVG document, black modules
    on a white background with the standard quiet zone of four modules."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=4,
        image_factory=qrcode.image.svg.SvgPathFillImage,
    )
    code.add_data(text)
    code.make(fit=True)
    return code.make_image().to_string(encoding="utf-8")
