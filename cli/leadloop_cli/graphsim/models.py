"""Records the simulator keeps: Pages, forms, leads, ad accounts, audiences, tokens, subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TokenKind(StrEnum):
    """What kind of access token a string is; decides which objects it may touch."""

    APP = "app"
    PAGE = "page"
    USER = "user"
    SYSTEM_USER = "system_user"


DEFAULT_SCOPES: tuple[str, ...] = (
    "leads_retrieval",
    "pages_manage_metadata",
    "pages_show_list",
    "pages_read_engagement",
    "ads_management",
    "pages_manage_ads",
)
"""What a healthy integration's Page/user token holds (meta-api.md §1.1); app tokens hold none."""


@dataclass(frozen=True)
class TokenGrant:
    """What one access token may read: Pages (leads, subscribed_apps) and ad accounts (audiences)."""

    kind: TokenKind
    page_ids: frozenset[str] = frozenset()
    account_ids: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset(DEFAULT_SCOPES)


@dataclass
class TokenStatus:
    """Meta's side of one token's life, as ``debug_token`` shows it and every call enforces it.

    ``expires_at`` and ``data_access_expires_at`` are virtual-clock unix seconds, ``0`` = never
    (``data_access_expires_at`` ``None`` = Meta's rolling 90 days for Page/user tokens). ``scopes``
    ``None`` = the kind's default (:data:`DEFAULT_SCOPES`, none for the app token).
    """

    is_valid: bool = True
    expires_at: int = 0
    data_access_expires_at: int | None = None
    scopes: tuple[str, ...] | None = None

    def effective_scopes(self, kind: TokenKind) -> tuple[str, ...]:
        """The granted permissions, defaults filled in."""
        if self.scopes is not None:
            return self.scopes
        return () if kind is TokenKind.APP else DEFAULT_SCOPES

    def expired(self, now: int) -> bool:
        """Whether ``expires_at`` has passed on the virtual clock."""
        return self.expires_at != 0 and now >= self.expires_at


@dataclass
class Page:
    """A Facebook Page; ``subscribed_fields`` is what its ``subscribed_apps`` install asked for.

    ``leads_access`` is the Page's Leads Access Manager verdict for this app (granted by default).
    """

    id: str
    access_token: str
    name: str
    subscribed_fields: list[str] = field(default_factory=list)
    leads_access: bool = True


@dataclass(frozen=True)
class Form:
    """An instant form, owned by one Page."""

    id: str
    page_id: str
    name: str


@dataclass(frozen=True)
class FieldAnswer:
    """One ``field_data`` entry: a question's field id and its answers (always strings)."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class DisclaimerResponse:
    """One ``custom_disclaimer_responses`` entry (``is_checked`` is ``"1"`` or ``""`` as observed)."""

    checkbox_key: str
    is_checked: str


@dataclass(frozen=True)
class Lead:
    """A submitted lead; ``seq`` breaks ties between leads created in the same second.

    ``by_app_role``: submitted by someone with a role on the app, so a development-mode app sees it.
    ``test_creator``: set for a ``/{form}/test_leads`` lead: the id of the person (token) who made it,
    the only one who may delete it; ``None`` for a real submission.
    """

    id: str
    page_id: str
    form_id: str
    created_time: int
    seq: int
    field_data: tuple[FieldAnswer, ...]
    custom_disclaimer_responses: tuple[DisclaimerResponse, ...] = ()
    ad_id: str | None = None
    ad_name: str | None = None
    adset_id: str | None = None
    adset_name: str | None = None
    campaign_id: str | None = None
    campaign_name: str | None = None
    platform: str = "fb"
    partner_name: str | None = None
    by_app_role: bool = False
    test_creator: str | None = None

    @property
    def sort_key(self) -> tuple[int, int]:
        """Newest-first ordering key (larger is newer)."""
        return (self.created_time, self.seq)


REPLACE_OP = "replace"
"""``UploadSession.op`` of a ``usersreplace`` session (``/users`` sessions are ``add``/``remove``)."""


@dataclass
class UploadSession:
    """One upload session of an audience (Meta's ``CustomAudienceSession``).

    ``num_matched`` stays ``-1`` until the session is processed; the simulator counts every valid
    row as matched then (``0`` for a failed replace, which changed nothing). Replace sessions go
    ``uploading`` → ``processing`` → ``processed``/``failed`` and remember their accepted
    ``batch_seqs`` so tests can check how a client numbered its batches.
    """

    session_id: str
    op: str
    start_time: int
    stage: str = "uploading"
    num_received: int = 0
    num_valid: int = 0
    num_invalid_entries: int = 0
    batches: int = 0
    end_time: int = 0
    batch_seqs: list[int] = field(default_factory=list)
    last_batch_flag_seen: bool = False

    def render(self) -> dict[str, str]:
        """The Graph shape: every value a string, as Meta sends it."""
        done = self.stage in ("processed", "failed")
        matched = self.num_valid if self.stage == "processed" else 0 if done else -1
        return {
            "session_id": self.session_id,
            "stage": self.stage,
            "num_received": str(self.num_received),
            "num_matched": str(matched),
            "num_invalid_entries": str(self.num_invalid_entries),
            "progress": "100" if done else "0",
            "start_time": str(self.start_time),
            "end_time": str(self.end_time),
        }


@dataclass
class ReplaceJob:
    """A ``usersreplace`` session: its listed record, the members staged so far and its timing.

    ``staged`` is a scratch audience (so staging reuses the /users alignment, dedupe and
    data-format lock) and is dropped once the replace finished. ``closed_at`` is set by
    ``last_batch_flag`` or by the window running out (``timed_out``); ``done_at`` is when
    processing ends on the virtual clock.
    """

    record: UploadSession
    staged: Audience | None
    deadline: int
    closed_at: int | None = None
    done_at: int | None = None
    timed_out: bool = False

    @property
    def active(self) -> bool:
        """Open or still processing: the audience is being updated."""
        return self.record.stage in ("uploading", "processing")


@dataclass
class Audience:
    """A customer-file Custom Audience.

    ``members`` rows are aligned with ``schema`` (the union of the keys uploaded so far, in order
    of first use; older rows are padded with ``""`` when a later upload brings a new key).
    ``data_source_sub_type`` is ``None`` until the first add fixes it (``MULTI_HASHES`` or
    ``HASHES``). ``replaces`` holds every ``usersreplace`` session by id (at most one active);
    ``size_floor`` and ``fail_next_replace`` are test hooks (fake size, one-shot replace failure).
    ``delete_time`` is when an expiring audience (operation_status 100) would be deleted.
    """

    id: str
    account_id: str
    name: str
    members: list[list[Any]] = field(default_factory=list)
    operation_status: dict[str, Any] = field(default_factory=lambda: {"code": 200, "description": "Normal"})
    sessions: list[UploadSession] = field(default_factory=list)
    schema: list[str] = field(default_factory=list)
    subtype: str = "CUSTOM"
    description: str = ""
    customer_file_source: str | None = None
    data_source_sub_type: str | None = None
    time_created: int = 0
    time_updated: int = 0
    member_keys: set[str] = field(default_factory=set, repr=False)
    replaces: dict[str, ReplaceJob] = field(default_factory=dict, repr=False)
    size_floor: int | None = None
    fail_next_replace: bool = False
    delete_time: int = 0


@dataclass(frozen=True)
class Subscription:
    """The app-level webhook subscription for ``object=page``."""

    callback_url: str
    verify_token: str
    fields: tuple[str, ...] = ("leadgen",)
    object: str = "page"
