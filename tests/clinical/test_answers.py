"""Questionnaire answers coloured by the care team's colours: the worst answer gives the set its
colour, an answer the colours do not know is yellow, and colours that contradict themselves are
refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from registry_seed import COPD_COLOURS

from tilsyn.platform.clinical.answers import QuestionColours, QuestionnaireColours, judge_answers

COPD = COPD_COLOURS.model_copy(
    update={
        "questions": [
            *COPD_COLOURS.questions,
            QuestionColours(link_id="cat_score", green=[0, 1, 2], yellow=[3, 4], red=[5]),
        ]
    }
)


def test_the_worst_answer_colours_the_set_and_every_complaint_is_named() -> None:
    judged = judge_answers(COPD, {"breathlessness": "much_worse", "feeling_unwell": True})
    assert judged.colour == "red"
    assert judged.flags == ("breathlessness: much worse (red)", "feeling unwell: yes (yellow)")
    assert judged.reason == "breathlessness: much worse (red); feeling unwell: yes (yellow)"


def test_a_set_of_green_answers_is_green() -> None:
    judged = judge_answers(COPD, {"breathlessness": "same", "feeling_unwell": False})
    assert (judged.colour, judged.flags, judged.reason) == ("green", (), "every answer green")


def test_an_answer_the_colours_do_not_list_is_yellow_not_green() -> None:
    judged = judge_answers(COPD, {"breathlessness": "somewhat_worse"})
    assert judged.colour == "yellow"
    assert judged.flags == (
        "breathlessness: somewhat worse (not an answer the plan colours; yellow)",
    )


def test_yes_is_not_the_number_one_and_a_number_is_matched_by_value() -> None:
    """In Python True == 1: a yes/no question answered 1 is not "yes"."""
    assert judge_answers(COPD, {"feeling_unwell": 1}).colour == "yellow"
    assert "not an answer the plan colours" in judge_answers(COPD, {"feeling_unwell": 1}).reason
    assert judge_answers(COPD, {"cat_score": 2.0}).colour == "green"
    assert judge_answers(COPD, {"cat_score": 5}).colour == "red"
    assert judge_answers(COPD, {"cat_score": True}).colour == "yellow"


def test_unanswered_and_unknown_questions_take_no_colour() -> None:
    judged = judge_answers(COPD, {"sleep": "poor"})
    assert (judged.colour, judged.reason) == (None, "no answer the plan colours")
    assert judge_answers(COPD, {"sleep": "poor", "feeling_unwell": False}).colour == "green"


def test_a_questionnaire_without_colours_is_not_judged() -> None:
    judged = judge_answers(None, {"breathlessness": "much_worse"})
    assert (judged.colour, judged.reason) == (None, "no colours set for this questionnaire")


@pytest.mark.parametrize(
    ("questions", "refusal"),
    [
        (
            [{"link_id": "cough", "green": ["same"], "yellow": ["same"]}],
            "cough: the answer same is both green and yellow",
        ),
        (
            [{"link_id": "cough", "green": [1], "red": [1.0]}],
            "cough: the answer 1 is both green and red",
        ),
        ([{"link_id": "cough"}], "cough: no answer is given a colour"),
        (
            [{"link_id": "cough", "green": ["same"]}, {"link_id": "cough", "red": ["worse"]}],
            "one entry per question; twice: cough",
        ),
        ([], "at least 1 item"),
        ([{"link_id": "cough", "green": ["x" * 201]}], "at most 200 characters"),
        ([{"link_id": "cough", "green": ["same"], "amber": ["worse"]}], "Extra inputs"),
    ],
)
def test_colours_that_contradict_themselves_are_refused(
    questions: list[dict[str, object]], refusal: str
) -> None:
    with pytest.raises(ValidationError, match=refusal):
        QuestionnaireColours.model_validate({"questionnaire": "q", "questions": questions})


def test_true_and_one_may_have_different_colours() -> None:
    colours = QuestionnaireColours.model_validate(
        {"questionnaire": "q", "questions": [{"link_id": "x", "green": [True], "red": [1]}]}
    )
    assert judge_answers(colours, {"x": True}).colour == "green"
    assert judge_answers(colours, {"x": 1}).colour == "red"
