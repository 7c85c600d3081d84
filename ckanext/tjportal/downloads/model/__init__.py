"""Model of the download count table, which the alembic revision in
``migration/tjportal_downloads`` creates."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, UnicodeText

import ckan.plugins.toolkit as tk


class DownloadCount(tk.BaseModel):
    """Number of downloads of one resource in one format on one day."""

    __tablename__ = "tjportal_download_count"

    resource_id = Column(UnicodeText, primary_key=True)
    format = Column(UnicodeText, primary_key=True)
    day = Column(Date, primary_key=True)
    package_id = Column(UnicodeText, nullable=False)
    count = Column(BigInteger, nullable=False, default=0)
