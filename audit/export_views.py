"""The trail page's export button and the pages of export jobs, for managers.

Export on the trail page posts the page's filter here. Up to
``AUDIT_EXPORT_SYNC_MAX_ROWS`` events the file downloads at once; above, a
worker writes it (``audit.export_jobs``) and the person is taken to the job's
page, whose progress bar polls ``progress.json`` and which links the file
once it is ready (docs/audit-exports.md).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from audit import export_jobs, exports
from audit.filters import AuditEventFilter
from audit.models import ExportJob
from core.pages import RefusalPageMixin
from core.refusals import NotFound
from people.permissions import RoleRequiredMixin
from people.roles import MANAGERS

JOBS_PAGE_SIZE = 25
FILTER_NAMES = tuple(AuditEventFilter.base_filters)


class ExportStartView(RefusalPageMixin, RoleRequiredMixin, View):
    """POST the trail page's filter and an output: the file, or a job for a large one."""

    allowed_roles = MANAGERS

    def _filter_query(self) -> str:
        return urlencode(
            {name: self.request.POST[name] for name in FILTER_NAMES if self.request.POST.get(name)}
        )

    def refusal_back(self) -> tuple[str, str]:
        query = self._filter_query()
        return reverse("audit:events") + (f"?{query}" if query else ""), "Back to the trail"

    def post(self, request):
        fields = (*FILTER_NAMES, "output")
        params = {name: request.POST[name] for name in fields if name in request.POST}
        selection = exports.select(params, request.user)
        if selection.rows <= settings.AUDIT_EXPORT_SYNC_MAX_ROWS:
            return exports.download(
                exports.start_export(params, actor=request.user, selection=selection)
            )
        job = export_jobs.start_job(params, actor=request.user, selection=selection)
        messages.success(
            request,
            f"{job.rows:,} events are more than one download holds "
            f"({settings.AUDIT_EXPORT_SYNC_MAX_ROWS:,}): a worker is writing the file. "
            "This page shows its progress and links it when it is ready.",
        )
        return redirect("audit:export-job", job.pk)


class ExportJobListView(RoleRequiredMixin, TemplateView):
    """The person's own export jobs, newest first, paged by the last one shown (``?after=``)."""

    allowed_roles = MANAGERS
    template_name = "audit/export_jobs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        jobs = ExportJob.objects.filter(requested_by=self.request.user).order_by(
            "-requested_at", "-id"
        )
        after = self.request.GET.get("after")
        if after:
            try:
                last = export_jobs.job_of(self.request.user, after)
            except NotFound:
                last = None
            if last is not None:
                jobs = jobs.filter(requested_at__lte=last.requested_at).exclude(
                    requested_at=last.requested_at, id__gte=last.id
                )
        page = list(jobs[: JOBS_PAGE_SIZE + 1])
        context.update(
            jobs=page[:JOBS_PAGE_SIZE],
            next_after=page[JOBS_PAGE_SIZE - 1].pk if len(page) > JOBS_PAGE_SIZE else None,
            retention_hours=settings.EXPORT_RETENTION_HOURS,
        )
        return context


class ExportJobView(RefusalPageMixin, RoleRequiredMixin, TemplateView):
    allowed_roles = MANAGERS
    template_name = "audit/export_job.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = export_jobs.job_of(self.request.user, kwargs["job_id"])
        context.update(
            job=job,
            report=export_jobs.progress_report(job),
            retention_hours=settings.EXPORT_RETENTION_HOURS,
        )
        return context


class ExportJobProgressView(RefusalPageMixin, RoleRequiredMixin, View):
    """Small JSON polled by the job page's progress bar."""

    allowed_roles = MANAGERS

    def get(self, request, job_id):
        job = export_jobs.job_of(request.user, job_id)
        response = JsonResponse(export_jobs.progress_report(job))
        response["Cache-Control"] = "no-store"
        return response


class ExportJobDownloadView(RefusalPageMixin, RoleRequiredMixin, View):
    allowed_roles = MANAGERS

    def get(self, request, job_id):
        job = export_jobs.job_of(request.user, job_id)
        try:
            return export_jobs.file_response(job)
        except NotFound as exc:
            # Not ready, or removed: the job's page says which, and what next.
            messages.error(request, str(exc))
            return redirect("audit:export-job", job.pk)
