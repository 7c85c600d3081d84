"""Tests of sharing (分享): the share menu on dataset and data-service
pages, the Weibo link and the WeChat QR code, read back with a QR decoder."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import numpy
import pytest
import zxingcpp
from bs4 import BeautifulSoup

from ckan.tests import factories
from ckan.tests.helpers import call_action

from .helpers import PLUGINS, SCRIPT, headers, url

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db"),
]

SVG_NAMESPACE = {"svg": "http://www.w3.org/2000/svg"}
# One filled module of the qrcode package's path: "M4,4H5V5H4z".
MODULE_PATTERN = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z")
PIXELS_PER_MODULE = 8
EXTRA_QUIET_MODULES = 4


def _svg_to_pixels(svg: bytes) -> numpy.ndarray:
    """Rasterise the QR code SVG into a greyscale image: each module of the
    path becomes a black square of PIXELS_PER_MODULE pixels."""
    root = ElementTree.fromstring(svg)
    _, _, width, height = (int(value) for value in root.get("viewBox").split())
    modules = numpy.full((height, width), 255, dtype=numpy.uint8)
    path = root.find("svg:path", SVG_NAMESPACE).get("d")
    squares = MODULE_PATTERN.findall(path)
    # Every subpath must be a module this parser understands.
    assert len(squares) == path.count("M")
    for left, top, right, bottom in squares:
        modules[int(top):int(bottom), int(left):int(right)] = 0
    modules = numpy.pad(modules, EXTRA_QUIET_MODULES, constant_values=255)
    block = numpy.ones((PIXELS_PER_MODULE, PIXELS_PER_MODULE), dtype=numpy.uint8)
    return numpy.kron(modules, block).astype(numpy.uint8)


def _decode(svg: bytes) -> list[str]:
    results = zxingcpp.read_barcodes(_svg_to_pixels(svg), formats=zxingcpp.BarcodeFormat.QRCode)
    return [result.text for result in results]


def _share_menu(body: str):
    return BeautifulSoup(body, "html.parser").find(id="tjportal-share")


class TestQrCode:
    @pytest.mark.parametrize("key, address", [
        ("dataset", "http://test.ckan.net/dataset/bus-stops"),
        ("service", "http://test.ckan.net/dataservice/bus-lines"),
    ])
    def test_decodes_to_page_address(self, app, catalogue, key, address):
        package = catalogue[key]
        page = app.get(url("{}.read".format(package["type"]), id=package["name"]))
        menu = _share_menu(page.body)
        assert menu.find(id="tjportal-share-link")["value"] == address

        image = app.get(menu.find(id="tjportal-share-qrcode")["src"])
        assert image.status_code == 200
        assert _decode(image.data) == [address]

    def test_id_and_name_give_same_code(self, app, catalogue):
        dataset = catalogue["dataset"]
        by_id = app.get(url("tjportal_feedback.share_qrcode", package_id=dataset["id"]))
        by_name = app.get(url("tjportal_feedback.share_qrcode", package_id=dataset["name"]))
        assert by_id.data == by_name.data

    def test_svg_type_and_cache_header(self, app, catalogue):
        response = app.get(url("tjportal_feedback.share_qrcode", package_id=catalogue["dataset"]["name"]))
        assert response.headers["Content-Type"].startswith("image/svg+xml")
        cache_control = response.headers["Cache-Control"]
        assert "max-age=3600" in cache_control
        assert "private" in cache_control
        assert "public" not in cache_control

    def test_unknown_dataset_not_found(self, app, catalogue):
        response = app.get(url("tjportal_feedback.share_qrcode", package_id="no-such-dataset"))
        assert response.status_code == 404

    def test_private_dataset_hidden_from_outsiders(self, app, catalogue):
        qrcode_url = url("tjportal_feedback.share_qrcode", package_id=catalogue["private"]["name"])
        assert app.get(qrcode_url).status_code == 404
        assert app.get(qrcode_url, headers=headers(catalogue["other_editor"])).status_code == 404
        assert app.get(qrcode_url, headers=headers(factories.UserWithToken())).status_code == 404

    def test_private_dataset_shown_to_department(self, app, catalogue):
        qrcode_url = url("tjportal_feedback.share_qrcode", package_id=catalogue["private"]["name"])
        response = app.get(qrcode_url, headers=headers(catalogue["member"]))
        assert response.status_code == 200
        assert _decode(response.data) == ["http://test.ckan.net/dataset/bus-drivers"]

    def test_renamed_dataset_new_address(self, app, catalogue):
        dataset = catalogue["dataset"]
        call_action("package_patch", id=dataset["id"], name="bus-stops-2026")
        response = app.get(url("tjportal_feedback.share_qrcode", package_id=dataset["id"]))
        assert _decode(response.data) == ["http://test.ckan.net/dataset/bus-stops-2026"]


class TestShareMenu:
    @pytest.mark.parametrize("key", ["dataset", "service"])
    def test_menu_without_javascript(self, app, catalogue, key):
        package = catalogue[key]
        menu = _share_menu(app.get(url("{}.read".format(package["type"]), id=package["name"])).body)
        details = menu.find("details")
        assert details.find("summary").text.strip() == "Share on WeChat"
        assert details.find("img", id="tjportal-share-qrcode") is not None
        # The copy button needs the script, but the field works without it.
        assert menu.find("button", class_="tjportal-share-copy").has_attr("hidden")
        assert menu.find("input", id="tjportal-share-link").has_attr("readonly")

    def test_weibo_link_has_address_and_title(self, app, catalogue):
        dataset = catalogue["dataset"]
        menu = _share_menu(app.get(url("dataset.read", id=dataset["name"])).body)
        link = urlsplit(menu.find(id="tjportal-share-weibo")["href"])
        assert (link.scheme, link.netloc, link.path) == ("https", "service.weibo.com", "/share/share.php")
        query = parse_qs(link.query)
        assert query["url"] == ["http://test.ckan.net/dataset/bus-stops"]
        assert query["title"] == ["公交站点"]

    def test_private_dataset_no_weibo_link(self, app, catalogue):
        private = catalogue["private"]
        page = app.get(url("dataset.read", id=private["name"]), headers=headers(catalogue["member"]))
        menu = _share_menu(page.body)
        assert menu.find(id="tjportal-share-weibo") is None
        assert menu.find(id="tjportal-share-qrcode") is not None

    def test_core_social_links_replaced(self, app, catalogue):
        dataset = catalogue["dataset"]
        resource = call_action("resource_create", package_id=dataset["id"], name="站点表",
                               url="http://127.0.0.1/stops.csv")
        pages = [
            app.get(url("dataset.read", id=dataset["name"])).body,
            app.get(url("dataset_resource.read", id=dataset["name"], resource_id=resource["id"])).body,
        ]
        for page in pages:
            assert "facebook.com/sharer" not in page
            assert "x.com/share" not in page

    def test_copy_script_on_page(self, app, catalogue):
        page = BeautifulSoup(app.get(url("dataset.read", id=catalogue["dataset"]["name"])).body, "html.parser")
        scripts = [script.text for script in page.find_all("script") if "tjportal-share-copy" in script.text]
        assert len(scripts) == 1

    def test_script_title_escaped(self, app, catalogue):
        dataset = catalogue["dataset"]
        call_action("package_patch", id=dataset["id"], title=SCRIPT + "&站点")
        page = app.get(url("dataset.read", id=dataset["name"]))
        assert SCRIPT not in page.body
        link = urlsplit(_share_menu(page.body).find(id="tjportal-share-weibo")["href"])
        assert parse_qs(link.query)["title"] == [SCRIPT + "&站点"]

    def test_chinese_labels(self, app, catalogue):
        dataset = catalogue["dataset"]
        menu = _share_menu(app.get("/zh_Hans_CN/dataset/{}".format(dataset["name"])).body)
        assert menu.find(id="tjportal-share-weibo").text.strip() == "分享到微博"
        assert "微信扫一扫" in menu.find("details").text
