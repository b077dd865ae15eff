"""Exports and reports: freeze lists by bank, wallets by chain (XLSX/CSV/JSON), campaign PDFs.

    from prokai.export.requisites import export_requisites, export_rows
    from prokai.export.report import campaign_report
"""
