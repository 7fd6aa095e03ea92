"""Who may do what: the rules the routes enforce, in one place, also served to the browser app as capabilities.

Roles (backend/hemosight/core/store/base.py): a *reviewer* looks at cases and labels cells; a *pathologist* also
creates and changes cases and signs them off (the clinical authority); an *admin* may do everything, including
reopening a signed-off case and managing accounts. There is no separate sign-off role: a pathologist is the one
who signs a differential in a haematology lab, and an admin stands in for one.
"""

from __future__ import annotations

from hemosight.api.schemas import CapabilitiesPublic, UserCapabilitiesPublic
from hemosight.core.store.base import Project, User

SIGNED_OFF = "signed_off"


def can_edit(user: User) -> bool:
    """Create, rename, delete cases, upload, share, re-score (pathologists and admins)."""
    return user.role != "reviewer"


def can_sign_off(user: User) -> bool:
    return user.role in ("pathologist", "admin")


def can_reopen(user: User) -> bool:
    return user.role == "admin"


def is_signed_off(project: Project) -> bool:
    return project.status == SIGNED_OFF


def user_capabilities(user: User) -> UserCapabilitiesPublic:
    return UserCapabilitiesPublic(
        create_projects=can_edit(user),
        manage_users=user.role == "admin",
        manage_models=user.role == "admin",
        manage_label_sets=can_edit(user),
        export_labels=user.role == "admin",
        sign_off=can_sign_off(user),
        reopen=can_reopen(user),
    )


def project_capabilities(user: User, project: Project) -> CapabilitiesPublic:
    """What `user` may do on `project` now (a member or an admin; others do not see the project at all)."""
    signed = is_signed_off(project)
    editor = can_edit(user)
    return CapabilitiesPublic(
        project_id=project.id,
        role=user.role,  # type: ignore[arg-type]
        status=project.status,  # type: ignore[arg-type]
        is_owner=user.id == project.owner_id,
        view=True,
        rename=editor,
        delete=editor,
        edit_case_details=editor and not signed,
        upload=editor and not signed,
        rescore=editor and not signed,
        label=True,
        label_needs_reason=signed,
        confirm_usable=not signed,
        sign_off=can_sign_off(user) and not signed,
        reopen=can_reopen(user) and signed,
        manage_members=editor,
        request_explanation=True,
        read_audit_log=True,
        download_report=True,
    )
