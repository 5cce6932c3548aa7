"""Pages for actions: the approvals queue, an action's page, proposing, and each step.

Views are thin: they call ``enforcement.workflow`` and show what it says.
Step endpoints let every role in, so that a refusal (a proposer approving,
an investigator approving) is decided and audited by the workflow and
answered (403 page, or back with a message) by ``RefusalPageMixin``, rather
than silently by a role mixin.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from cases.models import Case
from cases.pagination import InvalidCursor, Sort, page_of
from cases.visibility import can_see
from core.pages import RefusalPageMixin
from enforcement import workflow
from enforcement.filters import ActionFilter
from enforcement.forms import DecisionForm, ProposeForm
from enforcement.models import Action, TargetState
from enforcement.reading import (
    approval_queue,
    blast_radius,
    case_accounts,
    paused_actions,
    progress_report,
)
from people.permissions import RoleRequiredMixin
from people.roles import (
    ALL_ROLES,
    CASE_READERS,
    INVESTIGATORS_AND_LEADS,
    LEADS,
    has_role,
)

TARGETS_PER_PAGE = 100
APPROVALS_PER_PAGE = 50
# The longest-waiting action first, as a queue is worked.
OLDEST_FIRST = Sort("proposed", "Oldest first", "proposed_at", descending=False, is_datetime=True)


def visible_action(user, pk: int) -> Action:
    action = get_object_or_404(
        Action.objects.select_related(
            "case", "proposed_by", "approved_by", "second_approved_by", "decided_by"
        ),
        pk=pk,
    )
    if not can_see(user, action.case):
        raise Http404("No such action.")
    return action


class ApprovalsView(RoleRequiredMixin, TemplateView):
    """Leads' queue of actions awaiting a decision, oldest first, filtered and paged as
    ``/api/v1/actions/`` is; approve or reject singly or in bulk."""

    allowed_roles = LEADS
    template_name = "enforcement/approvals.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        filterset = ActionFilter(request.GET or None, queryset=approval_queue(), request=request)
        filterset.limit_states(workflow.AWAITING_DECISION)
        actions: list[Action] = []
        page = None
        cursor_error = ""
        if not filterset.is_bound or filterset.is_valid():
            queryset = filterset.qs
            cursor = request.GET.get("cursor")
            try:
                page = page_of(queryset, OLDEST_FIRST, cursor=cursor, size=APPROVALS_PER_PAGE)
            except InvalidCursor:
                cursor_error = "That page link is no longer valid; showing the first page."
                page = page_of(queryset, OLDEST_FIRST, cursor=None, size=APPROVALS_PER_PAGE)
            actions = page.items
        query = request.GET.copy()
        query.pop("cursor", None)
        context.update(
            filter=filterset,
            actions=actions,
            page=page,
            cursor_error=cursor_error,
            base_query=query.urlencode(),
            paused=paused_actions(),
        )
        return context

    def post(self, request):
        decision = request.POST.get("decision")
        ids = [int(pk) for pk in request.POST.getlist("action") if pk.isdigit()]
        form = DecisionForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        if decision not in ("approve", "reject") or not ids:
            messages.error(request, "Choose one or more actions, then approve or reject.")
            return redirect("enforcement:approvals")
        step = workflow.approve_action if decision == "approve" else workflow.reject_action
        done = []
        for pk in ids:
            try:
                step(pk, actor=request.user, comment=comment)
                done.append(f"#{pk}")
            except workflow.ActionRefused as exc:
                messages.error(request, f"Action #{pk}: {exc}")
        if done:
            verb = "Approved" if decision == "approve" else "Rejected"
            messages.success(request, f"{verb} {', '.join(done)}.")
        return redirect("enforcement:approvals")


class ActionView(RoleRequiredMixin, TemplateView):
    """One action: blast radius, approvals, progress, per-target results, steps."""

    allowed_roles = CASE_READERS
    template_name = "enforcement/action.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        action = visible_action(self.request.user, kwargs["pk"])
        targets = action.targets.select_related("override_by").order_by("pk")
        state = self.request.GET.get("state")
        if state in TargetState.values:
            targets = targets.filter(state=state)
        page = Paginator(targets, TARGETS_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(
            action=action,
            case=action.case,
            radius=blast_radius(action),
            report=progress_report(action),
            page=page,
            state_filter=state or "",
            target_states=TargetState.choices,
            can=workflow.step_permissions(action, self.request.user),
            revertible_states=workflow.REVERTIBLE_TARGET_STATES,
        )
        return context


class ActionProgressView(RoleRequiredMixin, View):
    """Small JSON polled by the progress bar while an action executes."""

    allowed_roles = CASE_READERS

    def get(self, request, pk: int):
        action = visible_action(request.user, pk)
        response = JsonResponse(progress_report(action))
        response["Cache-Control"] = "no-store"
        return response


class ActionStepView(RefusalPageMixin, RoleRequiredMixin, View):
    """POST approve / reject / withdraw / retry / revert / override on one action."""

    allowed_roles = ALL_ROLES
    step = ""

    def refusal_back(self) -> tuple[str, str]:
        pk = self.kwargs["pk"]
        return reverse("enforcement:action", args=[pk]), f"Back to action #{pk}"

    def post(self, request, pk: int, target_pk: int | None = None):
        action = Action.objects.select_related("case").filter(pk=pk).first()
        if action is None or (
            has_role(request.user, *CASE_READERS) and not can_see(request.user, action.case)
        ):
            raise Http404("No such action.")
        text = (request.POST.get("comment") or request.POST.get("reason") or "").strip()
        user = request.user
        if self.step == "approve":
            workflow.approve_action(pk, actor=user, comment=text)
            message = "Action approved."
        elif self.step == "reject":
            workflow.reject_action(pk, actor=user, comment=text)
            message = "Action rejected."
        elif self.step == "withdraw":
            workflow.withdraw_action(pk, actor=user, reason=text)
            message = "Action withdrawn."
        elif self.step == "retry":
            workflow.retry_action(pk, actor=user, reason=text)
            message = "Action resumed."
        elif self.step == "revert":
            ids = [target_pk] if target_pk is not None else None
            workflow.revert_action(pk, actor=user, target_ids=ids, reason=text)
            message = "Revert requested." if ids is None else "Revert of one target requested."
        elif self.step == "override":
            workflow.override_protected(pk, target_pk, actor=user, reason=text)
            message = "Protected account included."
        else:  # pragma: no cover - wired in urls.py
            raise Http404
        messages.success(request, message)
        target = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("enforcement:action", args=[pk])
        return redirect(target)


class ProposeView(RefusalPageMixin, RoleRequiredMixin, TemplateView):
    """An investigator or lead proposes an action on a case; left without targets,
    an account action is one proposal over every account the case links."""

    allowed_roles = INVESTIGATORS_AND_LEADS
    template_name = "enforcement/propose.html"

    def refusal_back(self) -> tuple[str, str]:
        pk = self.kwargs["case_pk"]
        return reverse("cases:detail", args=[pk]), f"Back to case #{pk}"

    def get_case(self) -> Case:
        case = get_object_or_404(Case, pk=self.kwargs["case_pk"])
        if not can_see(self.request.user, case):
            raise Http404("No such case.")
        return case

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ProposeForm(initial={"kind": self.request.GET.get("kind")}))
        context["case"] = case = self.get_case()
        # Why this case takes no proposal now (its status), said before any form.
        context["refusal"] = workflow.proposal_refusal(self.request.user, case)
        # Counts, never the rows: a campaign's case links tens of thousands of accounts.
        context["accounts"] = case_accounts(case.pk)
        return context

    def post(self, request, case_pk: int):
        case = self.get_case()
        if "choose_kind" in request.POST:
            # Without the page's script: show the fields of the kind chosen, propose nothing.
            form = ProposeForm.for_kind(request.POST.dict())
            return self.render_to_response(self.get_context_data(form=form))
        form = ProposeForm(request.POST)
        if form.is_valid():
            try:
                action = workflow.propose_action(
                    case.pk,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    targets=form.target_specs(),
                    params=form.params(),
                    notice=form.cleaned_data["notice"],
                    rationale=form.cleaned_data["rationale"],
                    expires_at=form.cleaned_data["expires_at"],
                )
            except workflow.NotPermitted:
                raise
            except workflow.ActionRefused as exc:
                # Anything but "not allowed" is shown on the form, at its field.
                form.add_error(exc.field, str(exc))
            except ValidationError as exc:  # a malformed targets line
                form.add_error(None, exc)
            else:
                messages.success(request, f"Action #{action.pk} proposed; a lead must approve it.")
                return redirect("enforcement:action", pk=action.pk)
        context = self.get_context_data(form=form)
        return self.render_to_response(context, status=400)
