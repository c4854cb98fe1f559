"""Local Meta Graph API simulator: stands in for graph.facebook.com in tests and the local stack.

Python API
==========
::

    sim = GraphSimulator(app_id="1234", app_secret="s3cret", require_appsecret_proof=True,
                         webhook_retry_delays=(0.0, 0.5, 1.0, 2.0, 4.0),
                         # extras, all keyword-only with these defaults:
                         webhook_timeout=10.0, require_page_subscription=False, seed=0,
                         clock_start=None, freeze_clock=False)
    base_url = sim.start(host="127.0.0.1", port=0)      # "http://127.0.0.1:PORT", background threads
    sim.add_page(page_id, access_token)                 # a Page and its Page token
    sim.add_form(form_id, page_id, name="...")
    sim.add_ad_account("act_123", token=None)            # or "123"; stored as act_<digits>; see below
    sim.add_audience(audience_id, account_id, name="...")   # returns the id; None → a new Meta-like id
    sim.audience(audience_id)                           # = GET /_sim/audiences/{id} (None when unknown)
    sim.set_audience_status(audience_id, code, description="")   # operation_status (471, 414, ...)
    sim.set_audience_budget(account_id, calls)          # custom-audience calls per rolling hour; None = formula
    sim.set_audience_size(audience_id, n)               # = POST /_sim/audiences/{id}/size (None clears)
    sim.set_replace_outcome(audience_id, "fail"|"ok")   # = POST /_sim/audiences/{id}/replace_outcome
    sim.add_user_token(token, page_ids=[...], account_ids=[...], system_user=False)   # extra token
    sim.set_token_state(token, is_valid=False, expires_at=unix, scopes=[...])  # = POST /_sim/tokens/{t}/state
    sim.set_leads_access(page_id, granted)              # = POST /_sim/pages/{id}/leads_access
    sim.set_app_mode("live"|"development"); sim.app()   # = POST/GET /_sim/app
    sim.set_page_subscribed_fields(page_id, [...])      # = POST /_sim/pages/{id}/subscribed_apps
    sim.subscribe(callback_url, verify_token)           # Meta's verification GET; SubscriptionError
    lead_id = sim.create_lead(page_id, form_id, field_data, ad_id=None, created_time=None, deliver=False,
                              by_app_role=False)   # and the other POST /_sim/leads extras
    sim.now(); sim.advance_clock(s); sim.set_leadgen_budget(page_id, calls); sim.configure(**knobs)
    sim.send_webhooks(lead_ids, copies=1); sim.deliveries(); sim.wait_for_deliveries(timeout)
    sim.calls(); sim.reset(); sim.app_token(); sim.appsecret_proof(token); sim.stop()

Standalone: ``python -m leadloop_cli.graphsim --port N --app-id ID --app-secret S
[--page PAGE_ID:TOKEN]... [--form FORM_ID:PAGE_ID]... [--no-appsecret-proof]``; prints one JSON
line ``{"graph_url": ...}`` and serves until SIGINT/SIGTERM.

Graph routes (``/{version}/...``, any ``v<major>.<minor>``; unversioned paths are served too)
===========================================================================================
Parameters may come from the query string, a form body or a JSON body (later wins). The token
comes from ``Authorization: Bearer|OAuth <t>`` or ``access_token``. Token kinds: Page tokens
(``add_page``) see their own Page; user and system-user tokens (``add_user_token``) see the
Pages/ad accounts granted; the app token ``app_id|app_secret`` manages app subscriptions only.
Ad accounts: ``add_ad_account(account_id, token)`` grants ``token`` (Page, user or system-user token, known yet
or not) the account's audiences; without ``token`` every Page and user token known *at that
moment* gets it (the local stack registers its Page first, so its Page token manages the seeded
account). ``add_user_token(..., account_ids=...)`` grants too.

Token life (``/_sim/tokens/{token}/state``): every known token starts valid, never expiring, with
scopes leads_retrieval, pages_manage_metadata, pages_show_list, pages_read_engagement,
ads_management, pages_manage_ads (the app token: none). On every Graph call (batch items and
``debug_token``'s caller too), before the proof check: a token marked invalid → 190/467 "Error
validating access token: The session is invalid because the user logged out."; a token whose
``expires_at`` passed on the virtual clock → 190/463 "Error validating access token: Session has
expired on <date>. The current time is <date>."; both ``OAuthException``, HTTP 400. Scopes Meta
documents for an endpoint are enforced there only: lead reads need ``leads_retrieval``, writing
``subscribed_apps`` (POST/DELETE) needs ``pages_manage_metadata``; others are only shown.

Every Graph response carries ``X-App-Usage`` (``call_count``/``total_cputime``/``total_time``,
integer percent of ``app_hourly_budget`` calls per rolling hour, default 20000, never enforced),
``facebook-api-version`` and ``x-fb-trace-id``. Lead reads also carry
``X-Business-Use-Case-Usage`` ``{"<page_id>": [{"type": "leadgen", "call_count", "total_cputime",
"total_time", "estimated_time_to_regain_access"}]}`` (percent, minutes).

Lead reads (``GET /{lead}``, ``/{form}/leads``, ``/{ad}/leads``, the same as batch items) check, in order: the
token sees the Page (else 200 "(#200) The access token does not have permission to access leads
or settings of this Page", HTTP 403); it holds ``leads_retrieval`` (else 200 "(#200) Requires
leads_retrieval permission to access leads", HTTP 403; meta-api.md §1.1 makes it mandatory); the
Page's Leads Access grants the app (``/_sim/pages/{id}/leads_access``, default granted; else 200
"(#200) The app does not have permission to access leads of this Page: the Page's Leads Access
Manager has not granted it lead access", HTTP 403: Meta's permission family; a token with every
scope is refused, so checks tell it from a missing scope by ``debug_token``'s scopes); then the
app's mode (``/_sim/app``): a development-mode app sees only leads created ``by_app_role``;
reading another lead alone → 10 "(#10) Application does not have permission for this action: an
app in development mode can only retrieve leads submitted by people with a role on the app", HTTP
403 (Meta: such apps cannot retrieve them; 10 is Graph's app-capability denial, apart from the
token/Page family 200), while the leads edges leave them out silently (paging and cursors only
see the visible leads; ``leads_count`` counts all). Refused reads do not count against the leadgen
budget. Webhook deliveries ignore Leads Access, scopes and the app's mode (Meta sends a
development-mode app only role users' leads; here a test sends what it wants, so the read side
can be shown).

- ``GET /{v}/{lead_id}?fields=a,b`` → the lead with only those fields plus ``id``. Without
  ``fields`` (here and on the leads edges): ``created_time,id,ad_id,form_id,field_data``, the set
  Meta's sample read shows (meta-api.md §1.3; its "…" beyond them is undocumented, and the SDK's
  ``Lead`` sends no fields by default, so nothing more is invented). Fields: id, created_time
  (``2026-11-24T10:00:00+0000``), form_id, ad_id, ad_name, adset_id, adset_name, campaign_id,
  campaign_name, field_data, custom_disclaimer_responses, is_organic, platform ("fb"),
  partner_name; post, post_submission_check_result, retailer_item_id,
  home_listing, vehicle are accepted and never set. Absent values are left out (organic leads have
  no ad_* fields). Unknown field → 100 "Tried accessing nonexisting field". Counts against the
  leadgen budget.
- ``GET /{v}/{form_id}/leads?fields&limit&after|before&filtering`` → newest first, ``{"data",
  "paging": {"cursors": {"before", "after"}, "previous"?, "next"?}}``. Both cursors are present on
  every non-empty page (``after`` on the last page too); ``next`` only when older leads remain,
  ``previous`` only when newer leads precede the page (never on the first page); an empty result is
  ``{"data": []}`` without ``paging``. ``after=C`` gives the ``limit`` leads following C,
  ``before=C`` the ``limit`` leads just preceding it (cursor paging both ways, as Graph documents);
  both at once → 100. ``next``/``previous`` repeat fields, limit (the effective one) and
  filtering, plus ``access_token`` and ``appsecret_proof`` only when the request carried them in
  the query string, and the one cursor (``after`` / ``before``). ``limit`` default
  25, values above 500 are clamped to 500, non-positive/non-integer → 100. ``filtering`` is a JSON
  array of ``{"field": "time_created", "operator": GREATER_THAN|GREATER_THAN_OR_EQUAL|LESS_THAN,
  "value": unix}`` ANDed; anything else → 100. Bad cursor → 100. Each page counts once against
  the leadgen budget.
- ``GET /{v}/{ad_id}/leads`` (same parameters and answer; meta-api.md §1.4) → the leads whose
  ``ad_id`` is the ad, newest first. The simulator has no ad objects: an ad is known through its
  leads (``POST /_sim/leads`` with ``ad_id``), so an ad id without leads → 100/33 like any unknown
  id; other edges of an ad → 100 "nonexisting field". The token must be able to read the leads
  of every Page the ad's leads came from (checks as above); the call counts against the leadgen
  budget of the Page of the ad's oldest lead.
- ``GET /{v}/{form_id}?fields=id,name,status,leads_count,page``, ``GET /{v}/{page_id}?fields=id,name,
  access_token`` (``access_token``: the Page token, to any token granted the Page, which is how a
  user or system-user token gets a Page token from Meta).
- ``POST /{v}/{form_id}/test_leads`` (meta-api.md §1.10; rules and sources in
  :mod:`leadloop_cli.graphsim.testleads`) → ``{"id"}``: the form's test lead, organic (no ad ids),
  ``by_app_role`` false. Optional ``field_data`` ``[{name, values: [str]}]`` and
  ``custom_disclaimer_responses`` ``[{checkbox_key, is_checked}]`` (a JSON array in the form/query,
  Meta's single-quoted example accepted, or a list in a JSON body; malformed → 100); without
  ``field_data`` the answers are ``<test lead: dummy data for full_name|email|phone_number>``.
  Checks in order: a Page token (user, system-user or app token → 210 "(#210) A page access token
  is required to request this resource.", HTTP 403); of the form's Page (200, HTTP 403); holding
  ``pages_manage_ads``, the simulator's stand-in for the Advertiser-or-higher Page role (else 200
  "(#200) Requires pages_manage_ads permission and the Advertiser role (or higher) on the Page to
  create test leads", HTTP 403); no test lead on the form yet (else 100 "(#100) This form already
  has a test lead. Only one test lead can exist per form: delete the existing test lead before
  creating a new one", HTTP 400; Meta states the rule, not its error, so code and wording are the
  simulator's). Then the signed ``leadgen`` webhook goes out like a real lead's, only when the app
  subscription includes ``leadgen`` and the Page's ``subscribed_apps`` install has ``leadgen``
  (whatever ``require_page_subscription`` says); else the lead exists and nothing is sent. The
  lead is a lead of the form like any other (``GET /{lead}``, ``/{form}/leads``, leads_count, the
  leadgen budget). The app's mode is not checked (Meta says its Testing Tool cannot be used in
  development mode; what the edge does then is undocumented).
- ``GET /{v}/{form_id}/test_leads?fields&limit&after&filtering`` → the form's test lead(s) in the
  ``/{form}/leads`` list shape (``{"data": []}`` when none; else ``data`` and ``paging.cursors``);
  the same read checks and leadgen budget as ``/{form}/leads``.
- ``DELETE /{v}/{lead_id}`` → ``{"success": true}``: deletes a test lead, by the person (token) who
  created it only (another token that sees the Page → 200 "(#200) Permissions error: only the
  person who created a test lead may delete it", HTTP 403); a real lead, an unknown id or a token
  that cannot see the Page → 100/33 "Unsupported delete request ...". The lead is gone: reads by id
  → 100/33, lists leave it out, a new test lead may be created; deliveries already sent go on.
- ``GET /{v}/{app_id}?fields=id,name`` (any valid token) → ``{"id", "name": "leadloop simulator
  app"}``; other fields → 100. Meta's Application node has no field that shows live/development
  mode, so none is invented: checks detect development mode from lead reads (10, missing leads).
- ``GET /{v}/debug_token?input_token=T`` (caller: the app token as Meta requires, or any other
  valid token of the app, which Meta allows for inspecting itself/the app's tokens; proof rules as
  everywhere; missing ``input_token`` → 100) → HTTP 200 ``{"data": {"app_id", "type": "PAGE" |
  "USER" | "SYSTEM_USER" | "APP", "application", "data_access_expires_at", "expires_at" (0 =
  never), "is_valid", "scopes", "granular_scopes": [{"scope", "target_ids"?}], "profile_id"
  (Page tokens: the Page id), "user_id" (not for the app token: a stable id derived from a hash of
  the token), "error"? {"code": 190, "message", "subcode": 463 | 467} (when not valid)}}``.
  ``data_access_expires_at``: as set through ``/_sim``, else virtual now + 90 days for Page/user
  tokens (Meta renews it with use) and 0 for system-user/app tokens; shown only, never enforced.
  ``granular_scopes`` targets: the token's Pages for leads_retrieval and pages_* scopes, its ad
  accounts (digits) for ads_management/ads_read, none otherwise. A string the simulator does not
  know → ``{"data": {"error": {"code": 190, "message": "Invalid OAuth access token - Cannot parse
  access token"}, "is_valid": false, "scopes": []}}``. Tokens never appear in messages or logs.

Custom audiences (customer files; token needs the ad account, else 200/HTTP 403; unknown audience
or account → 100/33). Every call below counts against the account's custom-audience budget and
carries ``X-Ad-Account-Usage`` ``{"acc_id_util_pct" (float, 2 dp), "reset_time_duration" (s until
the oldest counted call leaves the hour), "ads_api_access_tier"}`` and ``X-Business-Use-Case-Usage``
``{"<account digits, no act_>": [{"type": "custom_audience", "call_count", "total_cputime",
"total_time", "estimated_time_to_regain_access" (minutes), "ads_api_access_tier"}]}`` — on errors
too. Budget per account per rolling hour of the virtual clock: 5000 (``development_access``,
default) or 190000 (``standard_access``) + 40 × the account's audiences, ≤ 700000 (meta-api.md
§4.4), unless overridden. Over it → 80003 ``OAuthException``, ``is_transient: true``, HTTP 400,
``error_data.estimated_time_to_regain_access`` (minutes) and the headers at 100 %; refused calls
are not counted; validation errors (100, 2650, 1713230) are.

- ``POST /{v}/act_{id}/customaudiences`` ``name`` (required), ``subtype=CUSTOM`` (required; other
  subtypes → 100), ``description``, ``customer_file_source`` (USER_PROVIDED_ONLY |
  PARTNER_PROVIDED_ONLY | BOTH_USER_AND_PARTNER_PROVIDED; required with subtype CUSTOM as Meta
  documents, meta-api.md §5.2: missing or other → 100) → ``{"id"}`` (17-digit string).
  (``POST /_sim/audiences`` may still leave it unset.)
- ``GET /{v}/{audience_id}?fields=`` (default ``id``): id, name, account_id, subtype, description,
  customer_file_source (when set), operation_status ``{code, description}`` (200 "Normal"; 414/415
  from ``usersreplace``, else only what ``/_sim`` sets; 410/411/412 are not derived),
  delivery_status (200 from an approximate size of 100, else 300 "too small"),
  approximate_count_lower_bound/_upper_bound of the approximate size = max(members, the ``/size``
  hook's fake floor) (exact below 100; else floored to 2 significant figures and that plus one
  step: 1234 → 1200/1300, 0 → 0/0),
  data_source (``{"type": "UNKNOWN", "sub_type": "ANYTHING"}`` until the first add, then
  ``FILE_IMPORTED`` + ``MULTI_HASHES`` or ``HASHES``; ``creation_params: "[]"``), time_created,
  time_updated / time_content_updated (unix; last member change), retention_days (0),
  delete_time (unix; 0 unless operation_status is 100 "expiring": then the virtual time 100 was
  set + 90 days, meta-api.md §5.8; setting 100 again keeps the date),
  fields_violating_integrity_policy (``["name"]`` when 471). Unknown field → 100.
- ``POST /{v}/{audience_id}/users`` adds; ``DELETE`` or ``POST`` with ``method=DELETE`` removes.
  ``payload`` (JSON string in a form/query, or an object in a JSON body): ``schema`` = one key
  (``EMAIL_SHA256``→EMAIL, ``PHONE_SHA256``→PHONE, ``MOBILE_ADVERTISER_ID``→MADID, ``UID``→APPUID,
  or any multi-key name) or an array of multi-key names (EMAIL PHONE GEN DOBY DOBM DOBD LN FN FI CT
  ST ZIP COUNTRY MADID EXTERN_ID PAGEUID APPUID LOOKALIKE_VALUE DATA_PROCESSING_OPTIONS[_COUNTRY|
  _STATE]); ``data`` = rows (single-key data may be flat ``["h", ...]`` or ``[["h"], ...]``);
  ``page_ids`` required (a non-empty list) when the schema has PAGEUID; ``is_raw``/``app_ids``
  accepted, not checked. Optional ``session`` ``{session_id
  (positive int64, number or digit string), batch_seq (≥ 1, order not enforced), last_batch_flag,
  estimated_num_total}``. Checks, in order: flagged (operation_status 471) → 100/1713230 "Audience
  Upload Blocked"; structure → 100: missing payload, unknown or repeated schema key, > 10,000 rows
  ("... At most 10000 records ..."), a row whose cell count differs from the schema, a cell of the
  wrong type (strings; DATA_PROCESSING_OPTIONS a list of strings, _COUNTRY/_STATE ints,
  LOOKALIKE_VALUE a number); the whole call is then refused and nothing changes. A replace open or
  processing (or operation_status 414 set through ``/_sim``) → 2650/1870145 "Audience update in
  progress" (``is_transient`` true; Meta: no /users edits during a replace). Adds only: the
  data-format lock — the first add fixes the sub-type (``MULTI_HASHES`` for array schemas,
  ``HASHES`` for a single key) and an add of the other kind → 2650 "(#2650) Failed to update the
  custom audience: This audience was created from data source FILE_IMPORTED.MULTI_HASHES, which
  does not support data source FILE_IMPORTED.HASHES_OR_USER_IDS" (or ``.HASHES`` ... ``.MULTI_HASHES``).
  Removals accept either kind (removal by ``EXTERN_ID`` alone must work). Invalid entries (counted,
  not applied): a row with a non-empty cell of a hashed key (EMAIL PHONE GEN DOBY DOBM DOBD LN FN
  FI CT ST ZIP COUNTRY) that is not 64 lowercase hex characters (unlike Meta, which silently
  accepts unhashed text; here it catches client bugs); a row with any cell equal to the SHA-256 of
  the empty string (``e3b0c442…b855``: a hashed blank, which Meta counts invalid; it never matches
  anyone, so removing ``[someone, sha256("")]`` removes nobody); a row with a MADID that is not
  all lower case (Meta documents lower case; Meta's Python SDK sends a single-key
  MOBILE_ADVERTISER_ID unchanged, so an upper-case IDFA from it lands here); or a row with no
  non-empty cell outside the LDU columns. ``invalid_entry_samples`` is an object
  ``{"<malformed cell>": "<schema key>"}``, at most 100, for this call (``{}`` when none). Answer
  ``{"audience_id", "session_id", "num_received", "num_invalid_entries", "invalid_entry_samples"}``;
  the two counts are cumulative for the session
  (a call without ``session`` is a one-batch session with a generated id).
  Membership (applied at once; Meta takes hours): members are rows aligned with the audience's
  schema (the union of uploaded keys, in first-use order; older rows padded with ``""``); an add
  inserts each valid row unless an identical member exists. A removal row removes every member
  that shares a non-empty cell of an identifying key (EMAIL, PHONE, MADID, EXTERN_ID, PAGEUID,
  APPUID) with it — identifier-level matching, like Meta matching a person; a row without
  identifying cells removes members equal to it on all its non-empty non-LDU cells (a shared
  first name alone never removes anyone).
- ``POST /{v}/{audience_id}/usersreplace`` replaces every member (meta-api.md §6). ``payload`` as
  for ``/users`` and ``session`` (required here). Meta's guide: "All errors returned from the
  Replace endpoint have error code 2650", so every refusal of the request itself is 2650, HTTP
  400, ``is_transient`` false: a malformed or missing ``payload`` or ``session``, more than 10,000
  rows, a row/schema mismatch, subtype not CUSTOM and the data-format lock are 2650 without a
  subcode ("(#2650) Failed to update the custom audience: <detail>"), because Meta documents no
  subcode for them (its subcodes below are session rules; meta-api.md §6.4 also lists 100 among
  the endpoint's "other codes", which the simulator does not use for these). Errors that are not
  about the replace keep Graph's codes: tokens (190), the ad account (200), budgets (80003), and a
  flagged audience (471) → 100/1713230, which Meta documents for member edits of flagged
  audiences. Order: 471, subtype, payload, session, the replace rules, the lock. Replace-rule
  errors are 2650 with a subcode,
  HTTP 400, message "(#2650) Failed to update the custom audience: <name>: <detail>",
  ``error_user_title`` <name>, ``is_transient`` false except 1870145: 1870144 "DFCA size not
  supported for replace" (batch 1 while the approximate size is ≥ 100,000,000); 1870145 "Audience
  update in progress" (batch 1 of a new session while another replace is open or processing or
  operation_status is 414; or batch 1 again for the same session: Meta says never send it twice,
  we refuse it); 1870147 "Invalid upload batch for replace" (batch_seq ≠ 1 for a session whose
  batch 1 was never accepted); 1870159 "Replace session finished" (any batch for a session that
  received ``last_batch_flag: true``, also after processing; wins over 1870158); 1870158 "Replace
  session timed out" (any batch once more than ``replace_window_seconds``, default 5400, passed
  since batch 1 on the virtual clock; the window is fixed when batch 1 is accepted); 1870148
  "Something went wrong" (only with the ``replace_outcome`` "fail" hook, as the answer of the
  closing batch when the replace fails within that call, i.e. processing 0; the batch still
  counts). Batch 1 of a fresh session opens it (start = virtual now) and sets operation_status
  414 "Replace in progress: ..."; other batches (any number but 1, any order, duplicates,
  concurrent) stage their valid rows, deduped like adds (schema = union of the replace's keys;
  batch 1 must fit the audience's data-format lock, later batches the replace's). ``last_batch_flag:
  true`` on any accepted batch (batch 1 too) closes the session; a session whose window passes
  without it closes itself at the window's end with what arrived. Processing then takes
  ``replace_processing_seconds`` of virtual time (default 0: done within the closing call), still
  414; at its end the members become exactly the staged set (old members and schema dropped, the
  lock becomes the replace's), operation_status 200 "Normal" (a 471 set meanwhile stays),
  time_updated/time_content_updated = that end. Windows and processing are evaluated lazily
  whenever the audience is read or touched (Graph or ``/_sim``). With the ``replace_outcome``
  "fail" hook armed, the replace ends instead as 415 "Replace failed: ..." with members untouched;
  415 stays until the next replace or a ``/status`` change and does not block a new replace.
  Answer ``{"account_id" (digits), "audience_id", "session_id", "num_received",
  "num_invalid_entries", "invalid_entry_samples"}`` (counts cumulative for the session, samples
  for this call). Thread-safe: concurrent batches of one session are fine.
- ``GET /{v}/{audience_id}/sessions[?session_id=]`` → ``{"data": [{session_id, stage ("uploading"
  until a batch with last_batch_flag, then "processed"; replace sessions: "uploading", then
  "processing" until done, then "processed" or "failed"), num_received, num_matched ("-1" until
  processed, then the valid rows; "0" when failed), num_invalid_entries, progress ("0"/"100" once
  processed or failed), start_time, end_time ("0" until processed or failed)}]}``, newest first,
  every value a string.
- ``DELETE /{v}/act_{id}/usersofanyaudience`` (or ``POST`` with ``method=DELETE``), same
  ``payload``/``session`` → removes matching members from every audience of the account except
  flagged (471) ones and ones being replaced (as for ``/users`` → 1870145), which are skipped
  silently → ``{"account_id", "session_id", "num_received",
  "num_invalid_entries", "invalid_entry_samples"}`` (counts cumulative per account + session).
- Not implemented: listing ``GET /act_{id}/customaudiences``, ``POST``/``DELETE /{audience_id}``.
- ``POST /{v}/`` (or ``POST /``) batch: ``batch`` = JSON array (form field, or a list in a JSON
  body) of ≤ 50 ``{method, relative_url, body?, name?}``; more → 100 ``GraphBatchException`` "Too
  many requests in batch message. Maximum batch size is 50". The top-level token is mandatory and
  is each item's fallback; an item with its own ``access_token`` needs its own
  ``appsecret_proof``. ``relative_url`` may lack the leading ``/`` and/or the version (inherits
  the batch's). Each item is served exactly like a top-level call (faults, budgets, call log).
  Response: array in request order of ``{"code", "headers": [{"name", "value"}], "body": "<json>"}``
  (``headers`` dropped with ``include_headers=false``) or ``null`` for a ``batch_null`` fault.
  ``name`` / JSONPath references between items are not supported.
- ``POST /{v}/{app_id}/subscriptions`` (app token; ``object=page``, ``callback_url``,
  ``fields=leadgen``, ``verify_token``) → verification GET like ``subscribe()`` → ``{"success":
  true}``; failure → 2200 "Callback verification failed". ``GET`` lists ``{"data": [{object,
  callback_url, active, fields: [{name, version}]}]}``; ``DELETE`` removes it. Non-app token → 15.
- ``POST /{v}/{page_id}/subscribed_apps?subscribed_fields=leadgen`` → ``{"success": true}``;
  ``GET`` → ``{"data": [{name, id, subscribed_fields}]}`` (empty when not installed); ``DELETE``.
  POST/DELETE need ``pages_manage_metadata`` (else 200 "(#200) Requires pages_manage_metadata
  permission to manage the object", HTTP 403); GET does not. Tests set it directly with ``POST
  /_sim/pages/{id}/subscribed_apps``. Deliveries only require ``leadgen`` in it when
  ``require_page_subscription`` is on (default off).

Errors are ``{"error": {"message", "type", "code", "error_subcode"?, "is_transient", "fbtrace_id"}}``.
Status: 500 for codes 1/2, 403 for 10 and 200-299, else 400. Choices where Meta is silent:
missing or unknown token → 190 (Meta sends 104 for a missing one); proof missing/wrong → 100
``GraphMethodException``; valid token, other Page/ad account → 200 "(#200) ..." HTTP 403; app
token on lead reads → 200 too; missing scope, Leads Access, development mode and dead tokens as
above; unknown object → 100/33 ``GraphMethodException``; over the leadgen
budget → 80005 ``OAuthException``, ``is_transient: true``, HTTP 400, BUC header with
``estimated_time_to_regain_access`` > 0 (refused calls are not counted). Leadgen budget per Page
per rolling 24 h of the virtual clock: 4800 × max(1, leads created on the Page in the last 90
days), unless overridden.

Test-control routes (``/_sim/...``; JSON in/out; bad input → 400 ``{"error": "<message>"}``)
===========================================================================================
- ``POST /_sim/leads`` ``{"page_id", "form_id", "field_data": [{"name", "values": [str]}],
  "ad_id"?, "created_time"? (unix or ISO-8601), "custom_disclaimer_responses"? [{checkbox_key,
  is_checked: bool|str}], "deliver"?: bool, extras: "ad_name", "adset_id", "adset_name",
  "campaign_id", "campaign_name", "platform", "partner_name", "by_app_role" (bool, default false:
  submitted by someone with a role on the app, visible to a development-mode app)}`` → ``{"id"}``.
  Lead ids are 18-digit strings (> 2^53). Ad set/campaign ids and names are derived from ``ad_id``
  when omitted.
  ``deliver`` without a subscription → 400 and no lead.
- ``GET /_sim/leads?form_id=`` → ``{"data": [lead, ...]}`` newest first (all fields, plus
  ``by_app_role`` and ``test_lead``; the app's mode does not hide any; deleted test leads are gone).
- ``POST /_sim/webhooks`` ``{"lead_ids": [...], "copies"?: 1..100}`` → ``{"deliveries": n, "ids"}``:
  ONE POST body with every lead (one ``entry`` per Page), sent ``copies`` times identically.
- ``GET /_sim/webhooks[?wait=SECONDS]`` → JSON array, oldest first, of ``{id, lead_ids, attempts:
  [{status | error, at}], delivered, state: pending|delivered|failed|cancelled}``; ``wait`` first
  blocks until nothing is pending. ``DELETE /_sim/webhooks`` forgets finished deliveries.
- Webhook body: ``{"object": "page", "entry": [{"id", "time", "changes": [{"field": "leadgen",
  "value": {"leadgen_id", "page_id", "form_id", "adgroup_id", "ad_id", "created_time"}}]}]}``, ids as
  JSON numbers (non-numeric test ids stay strings), ``ad_id``/``adgroup_id`` 0 for organic leads,
  compact ``ensure_ascii`` JSON; headers ``X-Hub-Signature-256: sha256=<hmac>``,
  ``Content-Type: application/json``, ``User-Agent: facebookexternalua``. Attempt *i* waits
  ``webhook_retry_delays[i]`` seconds (real time); anything but HTTP 200 retries; then it gives up.
- ``POST /_sim/subscriptions`` ``{"callback_url", "verify_token"}`` (= ``subscribe()``; 409 when
  verification fails); ``GET /_sim/subscriptions`` → ``{"subscription": {object, callback_url,
  fields} | null}``.
- ``POST /_sim/pages`` ``{"page_id", "access_token", "name"?}``; ``POST /_sim/forms`` ``{"form_id",
  "page_id", "name"?}``; ``POST /_sim/ad_accounts`` ``{"account_id", "token"?}`` (grants as
  ``add_ad_account``); ``POST /_sim/audiences`` ``{"account_id", "audience_id"?, "name"?,
  "description"?, "customer_file_source"?}`` → ``{"id"}`` (new id when none given); ``POST
  /_sim/tokens`` ``{"token", "page_ids"?, "account_ids"?, "system_user"?: bool}`` (debug_token type
  SYSTEM_USER instead of USER; same access).
- ``POST /_sim/tokens/{token}/state`` ``{"is_valid"?: bool, "expires_at"?: unix | 0 | null (0/null
  = never), "data_access_expires_at"?: unix | 0 | null (null = the default), "scopes"?: [str]}``
  (keys left out stay; ``is_valid``/``scopes`` may not be null) → the token's ``debug_token`` data;
  any known token, the app token included (URL-encode its ``|``); unknown → 404 ``{"error":
  "unknown token"}``. Invalid → 190/467 and expired → 190/463 on every Graph call with it; scopes
  as above. The path is masked (``/_sim/tokens/***``) in logs and error messages.
- ``POST /_sim/pages/{id}/leads_access`` ``{"granted": bool}`` → ``{"id", "granted"}``: the Page's
  Leads Access for the app (default true); revoked → its lead reads fail with 200 (above),
  webhooks still go out. Unknown Page → 404.
- ``POST /_sim/pages/{id}/subscribed_apps`` ``{"subscribed_fields": [str]}`` → ``{"id",
  "subscribed_fields"}``: the app's install on the Page as ``GET /{page}/subscribed_apps`` shows it
  (``[]`` = not installed; fields without ``leadgen`` = installed for other fields). Unknown → 404.
- ``POST /_sim/app`` ``{"mode": "live" | "development"}``, ``GET /_sim/app`` → ``{"id", "name",
  "mode"}``; live by default. Development: lead reads as above.
- ``GET /_sim/audiences/{id}`` → ``{"id", "account_id", "name", "schema": [key, ...], "members":
  [[cell, ...]] (exact, aligned with schema), "operation_status": {"code", "description"},
  "delete_time", "data_source": {...}, "sessions": [Graph session fields + "op":
  add|remove|replace, oldest first; replace sessions also "batches": [batch_seq, ...] (accepted, in arrival order) and
  "last_batch_flag_seen": bool]}``; unknown → 404.
- ``POST /_sim/audiences/{id}/status`` ``{"code", "description"?}`` sets ``operation_status``
  (471 flagged → member edits refused with 100/1713230; 414 → ``/users`` edits and new replaces
  refused with 2650/1870145 as if a replace ran; 100 expiring → ``delete_time`` now + 90 days;
  other codes are only shown) → ``{"id", "operation_status", "delete_time"}``; unknown → 404.
- ``POST /_sim/audiences/{id}/size`` ``{"approximate_count": int | null}`` → ``{"id",
  "approximate_count"}``: a fake size floor; the approximate size (bounds, delivery_status, the
  100M replace check) is max(members, floor); ``null`` clears it; unknown → 404.
- ``POST /_sim/audiences/{id}/replace_outcome`` ``{"outcome": "fail" | "ok"}`` → ``{"id",
  "outcome"}``: "fail" makes the next replace to finish processing end as 415 (one-shot); "ok"
  disarms it; unknown → 404.
- ``POST /_sim/faults`` ``{"path": regex (re.search on the path incl. /{version}/; batch items use
  their normalized /{version}/... path), "method"?, "status"?, "error"?: {"code", "error_subcode"?,
  "message"?, "is_transient"?, "type"?, "error_user_title"?, "error_user_msg"?, "error_data"?},
  "body"?: any JSON (returned instead, status default 200), "headers"?, "latency_ms"?, "times"?,
  "after"?: N (the first N matching calls pass untouched), "probability"?: 0..1 (seeded RNG),
  "batch_null"?: bool}`` → ``{"id"}``. Faults are checked in
  order; the first firing one with ``status``/``error``/``body``/``batch_null`` answers; faults
  with only ``latency_ms``/``headers`` delay and add headers, then the call is served normally.
  ``latency_ms`` is the time until the answer, as a remote API's latency: the simulator's own work
  on the call counts within it (it answers at max(latency, its processing) after the call arrived;
  the call's effects happen before that answer).
  ``status`` alone → a fitting Graph error (500 → code 1, 503 → 2, 429 → 4, 403 → 200, ...);
  ``error`` without ``status`` uses the code's status. ``batch_null`` only affects batch items.
  A probability miss does not use up ``times``. ``GET /_sim/faults`` → JSON array of them (with
  ``remaining``, ``hits``); ``DELETE /_sim/faults`` clears all; ``DELETE /_sim/faults/{id}`` one.
- ``POST /_sim/clock`` ``{"advance_seconds"?, "set"?: unix, "frozen"?: bool}`` → ``{"now", "time",
  "frozen"}``; ``GET /_sim/clock``. The clock ticks with real time unless frozen.
- ``GET /_sim/calls`` → JSON array of ``{seq, method, path, status, at, error_code?, rows?, op?, fault?,
  batch_size?, item_paths?, batch_parent?, batch_index?}`` (``at`` = virtual unix seconds): batches
  and each of their items (``status`` null for a ``batch_null`` item); paths without query
  strings, never tokens, proofs or secrets. ``/users`` and ``usersofanyaudience`` calls carry
  ``op`` (add|remove) and ``rows`` (rows in the payload, also when refused; absent when unreadable;
  ``op`` is absent for fault answers). ``usersreplace`` calls carry ``op: "replace"``, ``rows`` and
  ``session_id`` (string), ``batch_seq``, ``last_batch_flag`` (also when refused; absent when the
  session is missing or unreadable). ``DELETE /_sim/calls`` resets.
- ``GET /_sim/config``; ``POST /_sim/config`` ``{"leadgen_budgets"?: {page_id: calls | null},
  "webhook_retry_delays"?, "webhook_timeout"?, "require_appsecret_proof"?,
  "require_page_subscription"?, "app_hourly_budget"?, "default_limit"?, "max_limit"?, "seed"?,
  "audience_budgets"?: {account_id (act_ or digits): calls | null}, "ads_api_access_tier"?:
  development_access|standard_access, "replace_window_seconds"? (5400), "replace_processing_seconds"?
  (0)}``; the answer lists ``audience_budgets`` by ``act_`` id.
- Faults (``/_sim/faults``) answer audience calls like any other, e.g. ``{"path": "/users$",
  "error": {"code": 613, "error_subcode": 1487742}}``, 17/2446079, 190/463, 2650; a fault answer
  is not counted against the audience budget and carries no usage headers.
- ``POST /_sim/reset`` forgets leads, faults, calls, usage and finished deliveries (keeps Pages,
  forms, tokens and their state, Leads Access, Page installs, the app's mode, audiences with their
  members and sessions, and the subscription).
"""

from __future__ import annotations

from leadloop_cli.graphsim.simulator import GraphSimulator
from leadloop_cli.graphsim.webhooks import SubscriptionError, sign

__all__ = ["GraphSimulator", "SubscriptionError", "sign"]
