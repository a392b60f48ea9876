"""The home-care nurse's triage board, patient trends, threshold edits, and the audit trail."""

from __future__ import annotations

import json
import re
import time

import psycopg
import pytest
from conftest import Site, sign_in, wait_until
from playwright.sync_api import Browser, Page, Request, Route, expect
from psycopg.types.json import Jsonb
from registry_seed import COPD_COLOURS

from tilsyn.platform.patients.questionnaires import read_colours, save_colours
from tilsyn.platform.registry.models import HubIn, PatientIn
from tilsyn.platform.registry.store import register_hub, register_patient

pytestmark = pytest.mark.browser


def _requests_to(page: Page, path: str) -> list[str]:
    """The URLs of the page's requests whose path contains `path`, as they are made."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if path in request.url:
            seen.append(request.url)

    page.on("request", record)
    return seen


def _pulse_turns_red(site: Site, patient_id: str) -> None:
    """A pulse of 131/min stored for the patient and handed to the alert engine, as ingest does."""
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id)"
            " VALUES (now(), %s, 'heart_rate', 131, '/min', 'hub-1')",
            (patient_id,),
        )
    site.red_pulse(patient_id)


def _open_alert_of(site: Site, patient_id: str) -> int:
    deadline = time.monotonic() + 10
    while True:
        with psycopg.connect(site.database_url) as conn:
            row = conn.execute(
                "SELECT alert_id FROM alerts WHERE entity_id = %s AND state <> 'resolved'"
                " ORDER BY alert_id LIMIT 1",
                (patient_id,),
            ).fetchone()
        if row is not None:
            return int(row[0])
        assert time.monotonic() < deadline, f"no alert raised for {patient_id}"
        time.sleep(0.1)


def test_the_board_is_ordered_red_yellow_green_with_news2_and_reasons(
    site: Site, page: Page
) -> None:
    sign_in(page, site.url, "home_care_nurse")
    rows = page.locator("#triage tbody tr")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.patientId)") == [
        "P-ANNA",
        "P-BENT",
        "P-CARL",
    ]
    assert [rows.nth(i).locator(".badge").inner_text() for i in range(3)] == [
        "red",
        "yellow",
        "green",
    ]
    expect(rows.first).to_contain_text("Heart rate")
    expect(rows.first.locator("td").nth(1)).not_to_have_text("–")
    values = rows.nth(1).locator(".values")
    expect(values).to_contain_text("Temperature 36.8 °C")
    expect(values).to_contain_text("Systolic BP 128 mmHg")
    expect(values).not_to_contain_text("Cel")


def test_a_patient_shows_trends_and_a_threshold_edit_recolours_the_board(
    site: Site, page: Page, browser: Browser
) -> None:
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-CARL").click()
    expect(page.locator("#patient-title")).to_have_text("Patient P-CARL")
    expect(page.locator("#charts figure")).to_have_count(2)
    expect(page.locator("#charts figure[data-kind='heart_rate'] canvas")).to_be_attached()
    page.locator("#threshold-kind").select_option("heart_rate")
    page.get_by_label("Red below").fill("40")
    page.get_by_label("Green from").fill("50")
    page.get_by_label("Green up to").fill("65")
    page.get_by_label("Red above").fill("110")
    # Before saving, the form says what the limits will mean (a value on a limit is the milder
    # colour), so P-CARL's pulse of 72 reads as yellow.
    expect(page.locator("#threshold-reading")).to_have_text(
        "Red below 40 /min or above 110 /min; yellow 40 to under 50 /min or over 65 up to"
        " 110 /min; green 50 to 65 /min."
    )
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.locator("#threshold-message")).to_have_text("Saved thresholds for Heart rate.")
    carl = page.locator("#triage tbody tr[data-patient-id='P-CARL']")
    expect(carl.locator(".badge")).to_have_text("yellow")

    admin = browser.new_context().new_page()
    sign_in(admin, site.url, "admin")
    admin.get_by_role("textbox", name="Patient").fill("P-CARL")
    admin.get_by_role("button", name="Show").click()
    actions = admin.locator("#audit tbody tr td:nth-child(4)")
    expect(actions.first).to_be_visible()
    assert {"set_threshold", "read_measurements", "triage_board"} <= set(actions.all_inner_texts())
    expect(admin.locator("#audit tbody")).to_contain_text("home.care.nurse")
    admin.context.close()


def test_invalid_thresholds_are_refused_with_the_reason(site: Site, page: Page) -> None:
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-BENT").click()
    page.get_by_label("Red below").fill("100")
    page.get_by_label("Green from").fill("120")
    page.get_by_label("Green up to").fill("60")
    page.get_by_label("Red above").fill("130")
    expect(page.locator("#threshold-reading")).to_contain_text("must rise from left to right")
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.locator("#threshold-message")).to_contain_text(
        "Not saved: limits must satisfy yellow_low <= green_low <= green_high <= yellow_high"
        " (red below <= green from <= green up to <= red above)"
    )


def test_the_form_reads_out_the_limits_and_a_side_that_could_never_be_red_is_refused(
    site: Site, page: Page
) -> None:
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-BENT").click()
    page.locator("#threshold-kind").select_option("spo2")
    reading = page.locator("#threshold-reading")
    expect(reading).to_have_text("No limits: every value would be green.")
    page.get_by_label("Green from").fill("94")
    expect(reading).to_contain_text("Lower side: nothing below 94 % would ever be red.")
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.locator("#threshold-message")).to_have_text(
        "Not saved: lower side: green_low 94 is set but yellow_low (the red limit) is open, so"
        " no value below it could ever be red; set the red limit below 94 too, or leave the"
        " lower side open"
    )
    page.get_by_label("Red below").fill("90")
    expect(reading).to_have_text("Red below 90 %; yellow 90 to under 94 %; green 94 % and above.")
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.locator("#threshold-message")).to_have_text("Saved thresholds for SpO₂.")
    with psycopg.connect(site.database_url) as conn:
        saved = conn.execute(
            "SELECT yellow_low, green_low, green_high, yellow_high FROM patient_thresholds"
            " WHERE patient_id = 'P-BENT' AND kind = 'spo2'"
        ).fetchone()
    assert saved == (90, 94, None, None)


def test_the_badge_tells_values_without_thresholds_from_no_data(site: Site, page: Page) -> None:
    with psycopg.connect(site.database_url) as conn:
        register_patient(conn, PatientIn(patient_id="P-DORA", unit="Herning Vest"))
        register_patient(conn, PatientIn(patient_id="P-EVA", unit="Herning Vest"))
        register_patient(conn, PatientIn(patient_id="P-FINN", unit="Herning Vest"))
        conn.execute(
            "INSERT INTO vital_observations (time, patient_id, kind, value, unit, hub_id) VALUES"
            " (now(), 'P-DORA', 'heart_rate', 118, '/min', 'hub-1'),"
            " (now(), 'P-DORA', 'spo2', 90, '%', 'hub-1'),"
            " (now() - interval '20 days', 'P-FINN', 'spo2', 96, '%', 'hub-1')"
        )
    sign_in(page, site.url, "home_care_nurse")
    dora = page.locator("#triage tbody tr[data-patient-id='P-DORA']")
    expect(dora.locator("td").nth(1)).not_to_have_text("–")  # NEWS2 scores her values
    expect(dora.locator(".badge")).to_have_text("no thresholds")
    eva = page.locator("#triage tbody tr[data-patient-id='P-EVA']")
    expect(eva.locator(".badge")).to_have_text("no data")  # never measured
    finn = page.locator("#triage tbody tr[data-patient-id='P-FINN']")
    expect(finn.locator(".badge")).to_have_text("no recent data")  # measured, 20 days ago


def test_a_burst_of_alert_events_reads_the_board_at_most_twice(site: Site, page: Page) -> None:
    """Each board read is audited once per patient: ten comments by another nurse are not ten
    reads."""
    site.red_pulse("P-ANNA")
    alert_id = _open_alert_of(site, "P-ANNA")
    sign_in(page, site.url, "home_care_nurse")
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.locator("#triage tbody tr")).to_have_count(3)
    page.evaluate(
        """() => {
            window.alertEvents = 0;
            new EventSource("/api/alerts/stream")
                .addEventListener("alert", () => { window.alertEvents += 1; });
        }"""
    )
    page.wait_for_function("window.alertEvents >= 0")
    page.wait_for_timeout(500)  # the counting stream is open
    reads = _requests_to(page, "/api/triage")
    for n in range(10):
        comment = page.request.post(
            f"{site.url}/api/alerts/{alert_id}/comments", data={"text": f"Called, note {n}"}
        )
        assert comment.ok, comment.text()
    page.wait_for_function("window.alertEvents >= 10")
    page.wait_for_timeout(4500)  # longer than the gap between reads: any follow-up is made
    assert 1 <= len(reads) <= 2, reads
    expect(page.locator("#summary")).to_contain_text("3 patients")


def test_the_open_patient_follows_the_board(site: Site, page: Page) -> None:
    """The reason, the visit reason and the charts follow the board; the charts are read again
    only when the patient has measured since."""
    sign_in(page, site.url, "home_care_nurse")
    expect(page.locator("#connection")).to_have_text("Live")
    measurement_reads = _requests_to(page, "/api/patients/P-CARL/measurements")
    board_reads = _requests_to(page, "/api/triage")
    page.locator("#triage").get_by_role("button", name="P-CARL").click()
    expect(page.get_by_label("Reason")).to_have_value(re.compile("^green"))

    _pulse_turns_red(site, "P-CARL")
    expect(page.locator("#patient-reason")).to_contain_text("red (worst latest value)")
    expect(page.get_by_label("Reason")).to_have_value(re.compile("^red"))
    expect(page.locator("#patient-reason .badge")).to_have_text("red")
    wait_until(page, lambda: len(measurement_reads) == 2, "the charts to be read again")

    # Another nurse's comment refreshes the board, but P-CARL has not measured since.
    alert_id = _open_alert_of(site, "P-CARL")
    before = len(board_reads)
    assert page.request.post(
        f"{site.url}/api/alerts/{alert_id}/comments", data={"text": "Called her"}
    ).ok
    wait_until(page, lambda: len(board_reads) > before, "the board to be read again")
    page.wait_for_timeout(500)
    assert len(measurement_reads) == 2, measurement_reads

    page.get_by_role("button", name="Schedule a visit").click()
    expect(page.locator("#visit-message")).to_contain_text("Visit requested for P-CARL")
    with psycopg.connect(site.database_url) as conn:
        (reason,) = conn.execute("SELECT reason FROM visit_requests").fetchone() or ("",)
    assert reason.startswith("red")


def test_a_visit_reason_the_nurse_typed_stays_when_the_board_refreshes(
    site: Site, page: Page
) -> None:
    sign_in(page, site.url, "home_care_nurse")
    expect(page.locator("#connection")).to_have_text("Live")
    page.locator("#triage").get_by_role("button", name="P-BENT").click()
    expect(page.get_by_label("Reason")).to_have_value(re.compile("^yellow"))
    page.get_by_label("Reason").fill("Ask about the new inhaler")
    _pulse_turns_red(site, "P-BENT")
    expect(page.locator("#patient-reason")).to_contain_text("red (worst latest value)")
    expect(page.get_by_label("Reason")).to_have_value("Ask about the new inhaler")
    page.get_by_role("button", name="Schedule a visit").click()
    expect(page.locator("#visit-message")).to_contain_text("Visit requested for P-BENT")
    with psycopg.connect(site.database_url) as conn:
        reasons = conn.execute("SELECT reason FROM visit_requests").fetchall()
    assert reasons == [("Ask about the new inhaler",)]


def test_one_click_schedules_a_visit_with_the_triage_reason(site: Site, page: Page) -> None:
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-ANNA").click()
    expect(page.get_by_label("Reason")).to_have_value(re.compile("red"))
    page.get_by_role("button", name="Schedule a visit").click()
    expect(page.locator("#visit-message")).to_contain_text("Visit requested for P-ANNA, due by")
    with psycopg.connect(site.database_url) as conn:
        requests = conn.execute("SELECT patient_id, state, reason FROM visit_requests").fetchall()
    assert [(patient, state) for patient, state, _ in requests] == [("P-ANNA", "requested")]
    assert requests[0][2].startswith("red")


def test_a_prescribed_spo2_scale_2_rescores_the_patient(site: Site, page: Page) -> None:
    """P-ANNA's SpO2 of 91 % scores 3 on scale 1 and 0 on scale 2 (target 88-92 %)."""
    sign_in(page, site.url, "home_care_nurse")
    news2 = page.locator("#triage tbody tr[data-patient-id='P-ANNA'] td").nth(1)
    expect(news2).not_to_have_text("–")
    before = int(news2.inner_text().split(" · ")[0])
    page.locator("#triage").get_by_role("button", name="P-ANNA").click()
    expect(page.get_by_label("SpO₂ scale")).to_have_value("1")
    page.get_by_label("SpO₂ scale").select_option("2")
    page.get_by_role("button", name="Save scale").click()
    expect(page.locator("#spo2-scale-message")).to_have_text("P-ANNA is scored on SpO₂ scale 2.")
    expect(news2).to_contain_text("SpO₂ scale 2")
    assert int(news2.inner_text().split(" · ")[0]) == before - 3


def test_a_double_click_schedules_one_visit(site: Site, page: Page) -> None:
    """However the two clicks fall around the first answer, the second sends the same
    request key; only a changed reason (or time) asks for another visit."""

    def visits() -> int:
        with psycopg.connect(site.database_url) as conn:
            (count,) = conn.execute("SELECT count(*) FROM visit_requests").fetchone() or (0,)
        return int(count)

    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-ANNA").click()
    schedule = page.get_by_role("button", name="Schedule a visit")
    schedule.dblclick()
    message = page.locator("#visit-message")
    expect(message).to_contain_text("for P-ANNA, due by")
    expect(schedule).to_be_enabled()
    schedule.click()
    expect(message).to_contain_text("This visit was already requested for P-ANNA")
    assert visits() == 1
    page.locator("#visit-reason").fill("Fell in the hallway")
    schedule.click()
    expect(message).to_contain_text("Visit requested for P-ANNA")
    assert visits() == 2


def test_a_patient_that_cannot_be_opened_says_why(site: Site, page: Page) -> None:
    page.route("**/api/patients/P-ANNA/measurements*", lambda r: r.fulfill(status=500, body="{}"))
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-ANNA").click()
    expect(page.locator("#notice")).to_contain_text("Could not open the patient")
    expect(page.locator("#summary")).to_contain_text("as of")


def _schedule_of(site: Site, patient_id: str) -> list[tuple[str, list[str]]]:
    """(kind or questionnaire:NAME, times) of each task, measurements first."""
    with psycopg.connect(site.database_url) as conn:
        rows = conn.execute(
            "SELECT coalesce(kind, 'questionnaire:' || questionnaire), times"
            " FROM patient_schedules WHERE patient_id = %s ORDER BY kind NULLS LAST, questionnaire",
            (patient_id,),
        ).fetchall()
    return [(task, list(times)) for task, times in rows]


def _carl_weighs_at_eight(site: Site) -> None:
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "INSERT INTO patient_schedules (patient_id, kind, times) VALUES"
            " ('P-CARL', 'body_weight', '{08:00}')"
        )


def test_the_schedule_editor_adds_edits_and_removes_and_says_why_the_server_refuses(
    site: Site, page: Page
) -> None:
    _carl_weighs_at_eight(site)
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-CARL").click()
    expect(page.get_by_label("Weight time 1", exact=True)).to_have_value("08:00")
    message = page.locator("#schedule-message")

    page.get_by_role("button", name="Add a time for Weight").click()
    page.get_by_label("Weight time 2", exact=True).fill("20:00")
    page.get_by_label("Measurement or questionnaire").select_option("spo2")
    page.get_by_role("button", name="Add to schedule").click()
    expect(page.get_by_label("SpO₂ time 1", exact=True)).to_be_focused()
    page.get_by_label("SpO₂ time 1", exact=True).fill("21:30")
    page.get_by_role("button", name="Add a time for SpO₂").click()
    page.get_by_label("SpO₂ time 2", exact=True).fill("09:00")
    page.get_by_role("button", name="Save schedule").click()
    expect(message).to_have_text("Saved: Weight at 08:00, 20:00; SpO₂ at 09:00, 21:30.")
    assert _schedule_of(site, "P-CARL") == [
        ("body_weight", ["08:00", "20:00"]),
        ("spo2", ["09:00", "21:30"]),
    ]
    expect(page.get_by_label("SpO₂ time 1", exact=True)).to_have_value(
        "09:00"
    )  # as the server sorted it

    # The same time twice: the server refuses, the screen says its reason, nothing changes.
    page.get_by_label("SpO₂ time 2", exact=True).fill("09:00")
    page.get_by_role("button", name="Save schedule").click()
    expect(message).to_have_text("Not saved: times: the same time twice")
    expect(message).to_have_class(re.compile("error"))
    assert _schedule_of(site, "P-CARL")[1] == ("spo2", ["09:00", "21:30"])

    page.get_by_role("button", name="Remove SpO₂ from the schedule").click()
    page.get_by_role("button", name="Remove Weight time 1").click()
    expect(page.get_by_label("Weight time 1", exact=True)).to_have_value("20:00")
    page.get_by_role("button", name="Save schedule").click()
    expect(message).to_have_text("Saved: Weight at 20:00.")
    assert _schedule_of(site, "P-CARL") == [("body_weight", ["20:00"])]

    page.get_by_role("button", name="Remove Weight from the schedule").click()
    page.get_by_role("button", name="Save schedule").click()
    expect(message).to_have_text("Saved: nothing is scheduled.")
    expect(page.locator("#schedule-empty")).to_be_visible()
    assert _schedule_of(site, "P-CARL") == []


def test_a_task_is_scheduled_on_some_weekdays(site: Site, page: Page) -> None:
    _carl_weighs_at_eight(site)
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-CARL").click()
    expect(page.get_by_label("Weight on Monday")).to_be_checked()  # every day so far
    # The panel has settled: nothing above the schedule moves it under the clicks.
    expect(page.locator("#answers")).not_to_contain_text("Reading the answers")
    for day in ("Tuesday", "Wednesday", "Friday", "Saturday", "Sunday"):
        page.get_by_label(f"Weight on {day}").uncheck()
    page.get_by_role("button", name="Save schedule").click()
    message = page.locator("#schedule-message")
    expect(message).to_have_text("Saved: Weight at 08:00 on Mon, Thu.")
    with psycopg.connect(site.database_url) as conn:
        ((weekdays,),) = conn.execute(
            "SELECT weekdays FROM patient_schedules WHERE patient_id = 'P-CARL'"
        ).fetchall()
    assert weekdays == [1, 4]
    page.get_by_role("button", name="Close patient").click()
    page.locator("#triage").get_by_role(
        "button", name="P-CARL"
    ).click()  # read back from the server
    expect(page.get_by_label("Weight on Thursday")).to_be_checked()
    expect(page.get_by_label("Weight on Friday")).not_to_be_checked()

    page.get_by_label("Weight on Monday").uncheck()
    page.get_by_label("Weight on Thursday").uncheck()
    page.get_by_role("button", name="Save schedule").click()
    expect(message).to_have_text("Not saved: tick a day for Weight, or remove it.")


def test_a_coloured_questionnaire_is_scheduled_beside_the_measurements(
    site: Site, page: Page
) -> None:
    _carl_weighs_at_eight(site)
    with psycopg.connect(site.database_url) as conn:
        save_colours(conn, COPD_COLOURS, "nurse", replace=True)
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-CARL").click()
    choice = page.get_by_label("Measurement or questionnaire")
    expect(choice.locator("optgroup[label=Questionnaires] option")).to_have_text(
        ["Questionnaire copd daily"]
    )
    expect(page.locator("#answers")).not_to_contain_text("Reading the answers")
    choice.select_option(label="Questionnaire copd daily")
    page.get_by_role("button", name="Add to schedule").click()
    time_1 = page.get_by_label("Questionnaire copd daily time 1", exact=True)
    expect(time_1).to_be_focused()
    time_1.fill("10:00")
    for day in ("Saturday", "Sunday"):
        page.get_by_label(f"Questionnaire copd daily on {day}").uncheck()
    page.get_by_role("button", name="Save schedule").click()
    expect(page.locator("#schedule-message")).to_have_text(
        "Saved: Weight at 08:00; Questionnaire copd daily at 10:00 on Mon, Tue, Wed, Thu, Fri."
    )
    assert _schedule_of(site, "P-CARL") == [
        ("body_weight", ["08:00"]),
        ("questionnaire:copd-daily", ["10:00"]),
    ]
    # Scheduled once: no longer offered.
    expect(choice.locator("optgroup[label=Questionnaires]")).to_have_count(0)
    page.get_by_role("button", name="Remove Questionnaire copd daily from the schedule").click()
    expect(choice.locator("optgroup[label=Questionnaires] option")).to_have_count(1)


def test_an_unfinished_schedule_is_not_sent(site: Site, page: Page) -> None:
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-BENT").click()
    expect(page.locator("#schedule-empty")).to_be_visible()
    page.get_by_label("Measurement or questionnaire").select_option("body_weight")
    page.get_by_role("button", name="Add to schedule").click()
    page.get_by_role("button", name="Save schedule").click()
    expect(page.locator("#schedule-message")).to_have_text(
        "Not saved: fill in or remove the empty time for Weight."
    )
    page.get_by_role("button", name="Remove Weight time 1").click()
    page.get_by_role("button", name="Save schedule").click()
    expect(page.locator("#schedule-message")).to_have_text(
        "Not saved: Weight has no time; add one or remove Weight."
    )
    assert _schedule_of(site, "P-BENT") == []


def test_the_plans_instructions_are_read_edited_and_saved(site: Site, page: Page) -> None:
    with psycopg.connect(site.database_url) as conn:
        conn.execute(
            "INSERT INTO patient_instructions (patient_id, red, yellow, updated_by)"
            " VALUES ('P-ANNA', 'Call 113', 'Rest and measure again', 'gp')"
        )
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-ANNA").click()
    red = page.get_by_label("On a red reading")
    expect(red).to_have_value("Call 113")
    expect(page.get_by_role("button", name="Save instructions")).to_be_enabled()
    red.fill("Use your rescue pack, then call 113")
    page.get_by_role("button", name="Save instructions").click()
    expect(page.locator("#instructions-message")).to_contain_text("Saved")
    with psycopg.connect(site.database_url) as conn:
        saved = conn.execute(
            "SELECT red, yellow FROM patient_instructions WHERE patient_id = 'P-ANNA'"
        ).fetchone()
    assert saved == ("Use your rescue pack, then call 113", "Rest and measure again")
    page.locator("#triage").get_by_role("button", name="P-BENT").click()
    expect(page.get_by_label("On a red reading")).to_have_value("")


def _answered(
    site: Site, patient_id: str, questionnaire: str, hours_ago: int, **answers: str | bool
) -> None:
    """The patient's answers stored, with the COPD questionnaire's colours set."""
    with psycopg.connect(site.database_url) as conn:
        save_colours(conn, COPD_COLOURS, "nurse", replace=True)
        conn.execute(
            "INSERT INTO questionnaire_answers (time, patient_id, questionnaire, answers, hub_id)"
            " VALUES (now() - make_interval(hours => %s), %s, %s, %s, 'h')",
            (hours_ago, patient_id, questionnaire, Jsonb(answers)),
        )


def test_the_patients_questionnaire_answers_are_shown_in_words_and_colours(
    site: Site, page: Page
) -> None:
    """COPD answers coloured by the questionnaire's colours, on the board and in the panel; a
    questionnaire without colours is shown as not judged."""
    _answered(site, "P-ANNA", "copd-daily", 2, breathlessness="much_worse", feeling_unwell=True)
    _answered(site, "P-ANNA", "heart-failure-weekly", 3, swollen_ankles=True)
    sign_in(page, site.url, "home_care_nurse")
    anna = page.locator("#triage tr[data-patient-id='P-ANNA']")
    expect(anna.locator(".value.answers.red")).to_have_text("copd daily: red")
    expect(anna.locator(".value.answers").nth(1)).to_have_text("heart failure weekly: not judged")
    expect(anna).to_contain_text("answers red — breathlessness: much worse (red), feeling unwell")
    anna.get_by_role("button", name="P-ANNA").click()
    answers = page.locator("#answers tbody tr")
    expect(answers).to_have_count(2)
    expect(answers.first).to_contain_text("copd-daily")
    expect(answers.first).to_contain_text("breathlessness: much worse; feeling unwell: yes")
    expect(answers.first.locator(".badge.red")).to_have_text("red")
    expect(answers.first).to_contain_text(
        "breathlessness: much worse (red); feeling unwell: yes (yellow)"
    )
    expect(answers.nth(1).locator(".badge.none")).to_have_text("not judged")
    expect(answers.nth(1)).to_contain_text("no colours set for this questionnaire")
    page.locator("#triage").get_by_role("button", name="P-BENT").click()
    expect(answers.first).to_have_text("No questionnaire answered in the last 14 days.")


def test_a_nurse_recolours_an_answer_for_every_patient_and_the_board_follows(
    site: Site, page: Page
) -> None:
    _answered(site, "P-BENT", "copd-daily", 1, breathlessness="worse")
    sign_in(page, site.url, "home_care_nurse")
    bent = page.locator("#triage tr[data-patient-id='P-BENT']")
    expect(bent.locator(".value.answers")).to_have_text("copd daily: yellow")
    expect(page.locator("#colours-questionnaire")).to_have_value("copd-daily")
    page.get_by_label("breathlessness: worse", exact=True).select_option("red")
    add = page.locator("#colours-add")
    add.get_by_role("combobox", name="Question").select_option("feeling_unwell")
    add.get_by_label("New answer").fill("maybe")
    add.get_by_role("button", name="Add answer").click()
    expect(page.locator("#colours-message")).to_have_text(
        "“maybe” is not an answer to feeling unwell: it takes yes or no."
    )
    add.get_by_role("combobox", name="Question").select_option("breathlessness")
    add.get_by_label("New answer").fill("a little worse")
    add.get_by_role("button", name="Add answer").click()
    expect(page.get_by_label("breathlessness: a little worse", exact=True)).to_have_value("yellow")
    page.get_by_role("button", name="Remove feeling unwell: yes").click()
    expect(page.get_by_role("button", name="Remove feeling unwell: no")).to_be_disabled()
    page.get_by_role("button", name="Save colours").click()
    expect(page.locator("#colours-message")).to_contain_text("Saved")
    expect(bent.locator(".value.answers")).to_have_text("copd daily: red")
    with psycopg.connect(site.database_url) as conn:
        (breathlessness,) = [
            q for q in read_colours(conn)["copd-daily"].questions if q.link_id == "breathlessness"
        ]
        (unwell,) = [
            q for q in read_colours(conn)["copd-daily"].questions if q.link_id == "feeling_unwell"
        ]
    assert (breathlessness.green, breathlessness.yellow, breathlessness.red) == (
        ["same"],
        ["a_little_worse"],
        ["worse", "much_worse"],
    )
    assert (unwell.green, unwell.yellow, unwell.red) == ([False], [], []), "yes removed"


def test_a_question_the_colours_do_not_know_is_added_with_its_first_answer(
    site: Site, page: Page
) -> None:
    _answered(site, "P-BENT", "copd-daily", 1, breathlessness="same", sputum_colour="clear")
    sign_in(page, site.url, "home_care_nurse")
    expect(page.locator("#colours-questionnaire")).to_have_value("copd-daily")
    add = page.locator("#colours-add")
    new_question = add.get_by_label("New question, as the hub sends it")
    expect(new_question).to_be_hidden()
    add.get_by_role("combobox", name="Question").select_option(label="A new question…")
    new_question.fill("breathlessness")
    add.get_by_label("New answer").fill("clear")
    add.get_by_role("button", name="Add answer").click()
    message = page.locator("#colours-message")
    expect(message).to_have_text(
        "breathlessness is a question already: choose it to add an answer."
    )
    new_question.fill("sputum colour")
    add.get_by_role("combobox", name=re.compile("^Colour")).select_option("green")
    add.get_by_role("button", name="Add answer").click()
    expect(page.get_by_label("sputum colour: clear", exact=True)).to_have_value("green")
    expect(add.get_by_role("combobox", name="Question")).to_have_value("sputum_colour")
    expect(new_question).to_be_hidden()
    page.get_by_role("button", name="Save colours").click()
    expect(message).to_contain_text("Saved")
    with psycopg.connect(site.database_url) as conn:
        sputum = read_colours(conn)["copd-daily"].questions[-1]
    assert (sputum.link_id, sputum.green, sputum.yellow, sputum.red) == (
        "sputum_colour",
        ["clear"],
        [],
        [],
    )


def test_a_questionnaire_answered_without_colours_is_listed_and_coloured(
    site: Site, page: Page
) -> None:
    """A hub asks a heart questionnaire nobody has coloured, and a question the COPD colours
    do not know: both are listed; the nurse colours the heart questionnaire from its answered
    question, the board judges it, and the schedule offers it."""
    _answered(site, "P-ANNA", "heart-failure-weekly", 3, swollen_ankles=True)
    _answered(site, "P-BENT", "copd-daily", 1, breathlessness="same", sputum_colour="clear")
    sign_in(page, site.url, "home_care_nurse")
    anna = page.locator("#triage tr[data-patient-id='P-ANNA']")
    expect(anna.locator(".value.answers")).to_have_text("heart failure weekly: not judged")
    expect(page.locator("#colours-unjudged")).to_have_text(
        "Answered in the last 30 days and judged by no colour: copd daily: sputum colour;"
        " heart failure weekly (no colours; 1 patient)."
    )
    questionnaire = page.get_by_role("combobox", name=re.compile("^Questionnaire"))
    questionnaire.select_option("heart-failure-weekly")
    message = page.locator("#colours-message")
    expect(message).to_have_text(
        "heart failure weekly has no colours yet: its answers show on the board but are not judged."
    )
    expect(page.locator("#colours tr")).to_have_count(0)
    add = page.locator("#colours-add")
    question = add.get_by_role("combobox", name="Question")
    expect(question).to_have_value("swollen_ankles")
    page.get_by_role("button", name="Save colours").click()
    expect(message).to_have_text("Give at least one answer a colour, then save.")
    add.get_by_label("New answer").fill("yes")
    add.get_by_role("combobox", name=re.compile("^Colour")).select_option("red")
    add.get_by_role("button", name="Add answer").click()
    add.get_by_label("New answer").fill("no")
    add.get_by_role("combobox", name=re.compile("^Colour")).select_option("green")
    add.get_by_role("button", name="Add answer").click()
    expect(page.get_by_label("swollen ankles: no", exact=True)).to_have_value("green")
    page.get_by_role("button", name="Save colours").click()
    expect(message).to_contain_text("Saved: heart failure weekly answers")
    expect(anna.locator(".value.answers")).to_have_text("heart failure weekly: red")
    expect(page.locator("#colours-unjudged")).to_have_text(
        "Answered in the last 30 days and judged by no colour: copd daily: sputum colour."
    )
    with psycopg.connect(site.database_url) as conn:
        (ankles,) = read_colours(conn)["heart-failure-weekly"].questions
    assert (ankles.link_id, ankles.green, ankles.yellow, ankles.red) == (
        "swollen_ankles",
        [False],
        [],
        [True],
    )
    anna.get_by_role("button", name="P-ANNA").click()
    tasks = page.get_by_label("Measurement or questionnaire")
    expect(tasks.locator("option", has_text="heart failure weekly")).to_have_count(1)


def test_a_new_questionnaire_is_named_and_coloured_before_any_patient_answers_it(
    site: Site, page: Page
) -> None:
    sign_in(page, site.url, "home_care_nurse")
    questionnaire = page.get_by_role("combobox", name=re.compile("^Questionnaire"))
    questionnaire.select_option(label="A new questionnaire…")
    name = page.get_by_label("New questionnaire, as the hub names it")
    expect(name).to_be_visible()
    add = page.locator("#colours-add")
    expect(add.get_by_role("combobox", name="Question")).to_have_value("")
    add.get_by_label("New question, as the hub sends it").fill("chest pain")
    add.get_by_label("New answer").fill("yes")
    add.get_by_role("combobox", name=re.compile("^Colour")).select_option("red")
    add.get_by_role("button", name="Add answer").click()
    message = page.locator("#colours-message")
    page.get_by_role("button", name="Save colours").click()
    expect(message).to_have_text("Name the new questionnaire as the hub does.")
    name.fill("angina weekly")
    page.get_by_role("button", name="Save colours").click()
    expect(message).to_contain_text("Saved: angina weekly answers")
    expect(questionnaire).to_have_value("angina-weekly")
    expect(name).to_be_hidden()
    with psycopg.connect(site.database_url) as conn:
        (pain,) = read_colours(conn)["angina-weekly"].questions
    assert (pain.link_id, pain.red) == ("chest_pain", [True])


def test_a_hub_that_stopped_reporting_is_listed_with_whom_it_serves(site: Site, page: Page) -> None:
    with psycopg.connect(site.database_url) as conn:
        register_hub(conn, HubIn(hub_id="H-ANNA", unit="Våler", patient_ids=["P-ANNA"]))
        register_hub(conn, HubIn(hub_id="H-BENT", unit="Våler", patient_ids=["P-BENT"]))
        conn.execute("UPDATE devices SET registered_at = now() - interval '1 day'")
        conn.execute(
            "INSERT INTO hub_health (time, hub_id, queue_depth, queue_bytes, last_contact,"
            " dropped_total, dropped_by_reason, devices)"
            " VALUES (now(), 'H-BENT', 0, 0, now(), 0, '{}', '[]')"
        )
    sign_in(page, site.url, "home_care_nurse")
    rows = page.locator("#hubs tbody tr")
    expect(rows).to_have_count(1)  # the hub that reports is fine
    expect(rows.first).to_contain_text("H-ANNA")
    expect(rows.first).to_contain_text("never reported")
    rows.first.get_by_role("button", name="P-ANNA").click()
    expect(page.locator("#patient-title")).to_have_text("Patient P-ANNA")


def test_the_carer_sees_whether_a_night_nurse_is_coming(site: Site, page: Page) -> None:
    """Tonight's shift takes a visit due within two hours; one no nurse can reach in time says
    so, with the planner's reason (it said "Visit requested" either way)."""
    sign_in(page, site.url, "home_care_nurse")
    page.locator("#triage").get_by_role("button", name="P-ANNA").click()
    page.get_by_label("Within").select_option("2")
    page.get_by_role("button", name="Schedule a visit").click()
    message = page.locator("#visit-message")
    expect(message).to_contain_text("A night nurse is planned to arrive about")
    unreachable = {
        "state": "planned",
        "planned": False,
        "eta": None,
        "unplanned_reason": "no nurse can be there before it is due",
    }

    def answer_unreachable(route: Route) -> None:
        visit = route.fetch().json() | {"night_task": unreachable}
        route.fulfill(status=201, content_type="application/json", body=json.dumps(visit))

    page.route("**/api/patients/P-ANNA/visits", answer_unreachable)
    page.get_by_role("button", name="Schedule a visit").click()
    expect(message).to_contain_text(
        "No night nurse is planned: no nurse can be there before it is due."
    )
    expect(message).to_have_class(re.compile(r"\berror\b"))
