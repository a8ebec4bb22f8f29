"""The audit report as PDF: the HTML report printed by WeasyPrint, offline.

The renderer fetches nothing over the network: LocalFetcher serves only the package's own template files
(fonts, CSS) and refuses every other URL (http, https, ftp, data, file: outside the templates folder), even
though nothing from the policy can reach the HTML unescaped. The PDF's dates come from the check date, so
the same input and check date give the same PDF.
"""
from __future__ import annotations

import hashlib
import mimetypes
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from ..model import GapcheckError, Result
from . import html_format

FONTS_CSS = "fonts.css"  # @font-face rules for the bundled fonts; PDF only (the HTML file links nothing)


class RefusedURL(ValueError):
    """A URL the report renderer will not fetch."""


def local_path(url: str, root: Path) -> Path:
    """The file a file: URL names, if it lies inside `root`; otherwise RefusedURL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise RefusedURL(f"refused to fetch {url[:200]!r}: the report renderer fetches only its own files")
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise RefusedURL(f"refused to fetch {url[:200]!r}: not one of the report's own files")
    return path


def make_fetcher(root: Path | None = None):
    """A WeasyPrint URL fetcher that serves files under `root` (the templates folder) and nothing else.
    `.requested` lists every URL it was asked for, `.refused` those it refused."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):
        def __init__(self, root: Path):
            super().__init__(timeout=1, allowed_protocols=("file",), allow_redirects=False, fail_on_errors=False)
            self.root = root.resolve()
            self.requested: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            self.requested.append(url)
            try:
                path = local_path(url, self.root)
            except RefusedURL:
                self.refused.append(url)
                raise
            ctype = mimetypes.guess_type(path.name)[0] or ("font/woff2" if path.suffix == ".woff2"
                                                          else "application/octet-stream")
            return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": ctype})

        def open(self, url, data=None, timeout=None):  # never urllib
            return self.fetch(url if isinstance(url, str) else url.full_url)

    return LocalFetcher(root or html_format.templates_dir())


def html_to_pdf(html: str, fetcher=None) -> bytes:
    """Print report HTML to PDF bytes with the offline fetcher (or the one given, which must refuse the
    network in the same way)."""
    try:
        import weasyprint
    except (ImportError, OSError) as e:  # OSError: the Pango libraries are missing
        raise GapcheckError(f"PDF output needs WeasyPrint and the Pango libraries ({_first_line(e)})") from None
    root = html_format.templates_dir()
    fetcher = fetcher or make_fetcher(root)
    base = root.resolve().as_uri() + "/"
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()  # @font-face rules need it, in the stylesheet and at rendering
    doc = weasyprint.HTML(string=html, base_url=base, url_fetcher=fetcher)
    fonts = weasyprint.CSS(filename=str(root / FONTS_CSS), url_fetcher=fetcher, font_config=font_config)
    return doc.write_pdf(stylesheets=[fonts], font_config=font_config,
                         pdf_identifier=hashlib.sha256(html.encode("utf-8")).digest()[:16])


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def render(result: Result, as_of: date | None = None, **options) -> bytes:
    return html_to_pdf(html_format.render(result, as_of=as_of, **options))
