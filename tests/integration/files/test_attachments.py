"""Mail integration: an attachment saved to Files, files found and read for compose."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.files import attachments
from app.files.storage import BlobStore
from app.settings import Settings


def test_save_attachment_then_find_and_read_it(files_settings: Settings) -> None:
    store = BlobStore(files_settings.data_dir / "files")
    engine = create_engine(files_settings.effective_database_url)
    with Session(engine) as db, db.begin():
        for _ in range(2):
            attachments.save_attachment(
                db,
                settings=files_settings,
                store=store,
                email="alice@example.com",
                filename="..\\..\\Invoice 42.pdf",
                data=b"%PDF-1.4 invoice",
                content_type="application/pdf",
            )
    with Session(engine) as db:
        found = attachments.find_attachable(
            db, settings=files_settings, email="alice@example.com", query="invoice"
        )
        assert sorted(item.path for item in found) == [
            "Mail attachments/Invoice 42 (2).pdf",
            "Mail attachments/Invoice 42.pdf",
        ]
        name, media, body = attachments.read_attachable(
            db,
            settings=files_settings,
            store=store,
            email="alice@example.com",
            mount=found[0].mount,
            node_id=found[0].node_id,
        )
        assert media == "application/pdf" and b"".join(body) == b"%PDF-1.4 invoice"
        assert name.startswith("Invoice 42")
        # Bob finds nothing of Alice's.
        assert (
            attachments.find_attachable(
                db, settings=files_settings, email="bob@example.com", query="invoice"
            )
            == []
        )
    engine.dispose()
