"""Which projects ``--organization`` / ``--folder`` mean: every active project under the
node, sub-folders at any depth included (projects.search ``parent:`` sees direct children
only, so each folder of the tree is searched)."""

from __future__ import annotations

from typing import Any

from providers.gcp.errors import classify
from providers.gcp.options import GcpOptions
from providers.gcp.session import GcpSession
from scanner.errors import ConfigurationError


def root(options: GcpOptions) -> str:
    """``organizations/N`` or ``folders/N`` asked for, or ``""`` (every visible project)."""
    if options.organization:
        return f"organizations/{options.organization.removeprefix('organizations/')}"
    if options.folder:
        return f"folders/{options.folder.removeprefix('folders/')}"
    return ""


def _paged(options: GcpOptions, **fields: Any) -> dict[str, Any]:
    request: dict[str, Any] = dict(fields)
    if options.page_size:
        request["page_size"] = options.page_size
    return request


def subtree(session: GcpSession, top: str) -> list[str]:
    """``top`` and every active folder below it, parents before children."""
    options = session.options
    found, queue = [top], [top]
    while queue:
        parent = queue.pop(0)
        try:
            children = [
                f.name
                for f in session.folders().list_folders(
                    request=_paged(options, parent=parent),
                    retry=session.retry,
                    timeout=options.timeout,
                )
                if f.state.name == "ACTIVE" and f.name not in found
            ]
        except Exception as exc:
            _, detail = classify(exc)
            raise ConfigurationError(
                f"cannot list the folders under {parent} ({detail}), so projects in them "
                "would be missed; grant resourcemanager.folders.list or name projects with "
                "--project"
            ) from None
        found += children
        queue += children
    return found


def search(session: GcpSession, query: str) -> dict[str, str]:
    """Active projects a projects.search ``query`` finds: id → display name."""
    options = session.options
    try:
        return {
            p.project_id: p.display_name or p.project_id
            for p in session.projects().search_projects(
                request=_paged(options, query=query),
                retry=session.retry,
                timeout=options.timeout,
            )
            if p.state.name == "ACTIVE"
        }
    except Exception as exc:
        _, detail = classify(exc)
        raise ConfigurationError(
            f"cannot search projects ({detail}); name them with --project"
        ) from None


def discover(session: GcpSession, options: GcpOptions) -> dict[str, str]:
    """Project id → display name of every active project under the asked node (or every
    visible one)."""
    top = root(options)
    if not top:
        return search(session, "")
    found: dict[str, str] = {}
    for parent in subtree(session, top):
        found.update(search(session, f"parent:{parent}"))
    return found
