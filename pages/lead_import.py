"""Import leads: upload a CSV/XLSX, map its columns, preview, dry run or import with progress, report."""

from __future__ import annotations

import hashlib
import io

import pandas as pd
import streamlit as st

from crm.enums import DuplicateMode, ImportStatus
from crm.schemas.lead_import import ImportJob, ImportOptions, ImportPreview, ImportProgress
from crm.services import lead_import, tags
from crm.services.permissions import Action, can
from crm.ui import cached, session
from crm.ui.errors import attempt
from crm.ui.format import absolute_time, count, enum_label

NOT_IMPORTED = ""
RESULT_KEY = "lead_import_result"
MODES = {DuplicateMode.SKIP: "Skip them", DuplicateMode.UPDATE: "Update the existing lead",
         DuplicateMode.CREATE: "Create anyway (never a second lead with the same email)"}

actor = session.require_actor()
st.title("Import leads")
if not can(actor, Action.IMPORT_EXPORT):
    st.info("Importing leads is for managers, admins and owners of the team.")
    st.stop()


def show_result(job: ImportJob) -> None:
    verb = "Dry run" if job.dry_run else "Import"
    if job.status is ImportStatus.COMPLETED:
        st.success(f"{verb} of {job.filename} finished: {count(job.processed_rows)} rows.")
    else:
        st.warning(f"{verb} of {job.filename} is {job.status.value.lower()} after {count(job.processed_rows)} rows."
                   + (f" {job.error}" if job.error else ""))
    cols = st.columns(4)
    for col, (label, n) in zip(cols, (("Created", job.created_count), ("Updated", job.updated_count),
                                     ("Skipped", job.skipped_count), ("Failed", job.failed_count)), strict=True):
        col.metric(label + (" (would be)" if job.dry_run and label in ("Created", "Updated") else ""), count(n))
    st.bar_chart(pd.DataFrame({"rows": [job.created_count, job.updated_count, job.skipped_count, job.failed_count]},
                              index=["Created", "Updated", "Skipped", "Failed"]), horizontal=True, height=180)
    report_button(job, key=f"lead_import_report_{job.id}")


def report_button(job: ImportJob, *, key: str) -> None:
    st.download_button("Download the report (CSV)", key=key, file_name=f"import-{job.id}-report.csv",
                       mime="text/csv", icon=":material/download:",
                       # Built only when clicked, and from the database: no report is kept in the session.
                       data=lambda: b"".join(lead_import.report_csv(actor, job.id)))


def run(job_id: int, *, resume: bool) -> None:
    with st.status("Importing…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting…")

        def progress(p: ImportProgress) -> None:
            text = (f"{count(p.processed_rows)} rows done — {count(p.created)} created, {count(p.updated)} updated, "
                    f"{count(p.skipped)} skipped, {count(p.failed)} failed")
            bar.progress(p.fraction if p.fraction is not None else 0.5, text=text)

        call = lead_import.resume_import if resume else lead_import.run_import
        job = attempt(lambda: call(actor, job_id, progress=progress))
        if job is None:
            status.update(label="The import stopped", state="error")
            return
        bar.progress(1.0, text=f"{count(job.processed_rows)} rows done")
        status.update(label="Done" if job.status is ImportStatus.COMPLETED else job.status.value.title(),
                      state="complete" if job.status is ImportStatus.COMPLETED else "error")
    cached.forget_reads()
    st.session_state[RESULT_KEY] = job.id


upload = st.file_uploader("CSV or Excel (.xlsx) file", type=["csv", "tsv", "txt", "xlsx"],
                          help="The first row must name the columns. Up to 200 MB.")
if upload is not None:
    data = upload.getvalue()
    # A new upload starts a fresh mapping (the id changes with each upload; hashing 200 MB would not be free).
    prefix = "lead_import_" + hashlib.sha256(upload.file_id.encode()).hexdigest()[:12]
    first = attempt(lambda: lead_import.preview(actor, file=io.BytesIO(data), filename=upload.name, n=20))
    if first is None:
        st.stop()
    targets = {NOT_IMPORTED: "— not imported —", **first.targets}

    st.subheader("1. Match the columns")
    st.caption("Columns are matched by their names; change any that are wrong.")
    mapping: dict[str, str | None] = {}
    cols = st.columns(3)
    for i, header in enumerate(first.headers):
        suggested = first.suggested_mapping.get(header) or NOT_IMPORTED
        choice = cols[i % 3].selectbox(header, list(targets), index=list(targets).index(suggested),
                                       format_func=targets.__getitem__, key=f"{prefix}_map_{i}")
        mapping[header] = choice or None

    st.subheader("2. Options")
    left, right = st.columns(2)
    mode = left.radio("Leads that already exist (same email or phone), also within the file",
                      list(MODES), format_func=MODES.__getitem__, key=f"{prefix}_mode")
    team_tags = tags.list_tags(actor)
    tag_ids = right.multiselect("Tag every imported lead with", [t.id for t in team_tags],
                                format_func={t.id: t.name for t in team_tags}.__getitem__, key=f"{prefix}_tags")
    new_tags = right.text_input("…and new tags (separated by commas)", key=f"{prefix}_new_tags")
    people = {0: "Nobody (the unassigned pool)", **{u.id: u.name for u in cached.assignees(actor)}}
    assignee = right.selectbox("Assign leads without an “Assigned to” value to", list(people),
                               format_func=people.__getitem__, key=f"{prefix}_assignee")

    def options(dry_run: bool) -> ImportOptions:
        names = [n.strip() for n in new_tags.replace(";", ",").split(",") if n.strip()]
        return ImportOptions(duplicate_mode=mode, tag_ids=tag_ids, tag_names=names,
                             assigned_to_id=assignee or None, dry_run=dry_run)

    st.subheader("3. Preview")
    checked: ImportPreview | None = attempt(lambda: lead_import.preview(
        actor, file=io.BytesIO(data), filename=upload.name, mapping=mapping, n=20))
    if checked is not None:
        table = pd.DataFrame([{"Row": r.row_number,
                               **{checked.targets.get(k, k): v for k, v in r.values.items()},
                               "Problems": "; ".join(r.problems),
                               "Outcome": "Fails" if r.outcome else "OK"} for r in checked.rows])
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption("Duplicates are decided when the file is imported: run a dry run to see them.")
        dry, go = st.columns(2)
        for button, dry_run in ((dry, True), (go, False)):
            label = "Dry run (writes nothing)" if dry_run else "Import"
            if button.button(label, key=f"{prefix}_{'dry' if dry_run else 'go'}",
                             type="secondary" if dry_run else "primary", width="stretch"):
                job = attempt(lambda dry_run=dry_run: lead_import.create_import(
                    actor, io.BytesIO(data), upload.name, mapping, options(dry_run)))
                if job is not None:
                    run(job.id, resume=False)

if (result_id := st.session_state.get(RESULT_KEY)) is not None:
    result = attempt(lambda: lead_import.get_import(actor, result_id))
    if result is not None:
        show_result(result)

st.subheader("Past imports")
jobs = lead_import.list_imports(actor, limit=20)
if not jobs:
    st.caption("No imports yet.")
for job in jobs:
    with st.container(border=True):
        info, actions = st.columns([3, 1])
        kind = "Dry run" if job.dry_run else "Import"
        state = "interrupted" if job.resumable else enum_label(job.status).lower()
        info.markdown(f"**{job.filename}** — {kind}, {state}, {absolute_time(job.created_at)}  \n"
                      f"{count(job.processed_rows)} rows: {count(job.created_count)} created, "
                      f"{count(job.updated_count)} updated, {count(job.skipped_count)} skipped, "
                      f"{count(job.failed_count)} failed")
        if job.resumable and actions.button("Resume", key=f"lead_import_resume_{job.id}", icon=":material/replay:"):
            run(job.id, resume=True)
            st.rerun()
        with actions:
            report_button(job, key=f"lead_import_past_report_{job.id}")
