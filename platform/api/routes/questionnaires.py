"""How the care team reads questionnaire answers: the colours of each question's answers.

The colours are no patient's data (they hold no answers), so reading them is not audited;
changing them is, with who changed what. Nor is the list of questionnaires answered lately:
it holds counts and question names, no patient and no answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict

from tilsyn.platform.api.deps import Db, allowed
from tilsyn.platform.auth.store import User, audit
from tilsyn.platform.clinical.answers import QuestionnaireColours, QuestionnaireName, Questions
from tilsyn.platform.patients.questionnaires import (
    AnsweredQuestionnaire,
    answered_questionnaires,
    read_colours,
    save_colours,
)

router = APIRouter(prefix="/api", tags=["patients"])
Clinician = Annotated[User, Depends(allowed("read_patients"))]
ColourEditor = Annotated[User, Depends(allowed("edit_thresholds"))]


class ColoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    questions: Questions


@router.get("/questionnaires", response_model=list[QuestionnaireColours])
def questionnaires(db: Db, _: Clinician) -> list[QuestionnaireColours]:
    """Every questionnaire with colours set, by name."""
    return list(read_colours(db).values())


@router.get("/questionnaires/answered", response_model=list[AnsweredQuestionnaire])
def answered(
    db: Db, _: Clinician, days: int = Query(30, ge=1, le=365)
) -> list[AnsweredQuestionnaire]:
    """Every questionnaire answered in the last `days`, by name, with the questions its colours
    leave unjudged: a questionnaire no one has coloured, or a question a new version asks."""
    return answered_questionnaires(db, datetime.now(UTC) - timedelta(days=days))


@router.put("/questionnaires/{questionnaire}", response_model=QuestionnaireColours)
def set_colours(
    questionnaire: Annotated[QuestionnaireName, Path()],
    body: ColoursIn,
    db: Db,
    user: ColourEditor,
) -> QuestionnaireColours:
    """Replace the questionnaire's colours. Answers already on the board are read by them at
    once; new answers raise or clear alerts by them within the alert engine's next registry
    look (30 s). An answer the colours do not list is yellow."""
    colours = QuestionnaireColours(questionnaire=questionnaire, questions=body.questions)
    save_colours(db, colours, user.username, replace=True)
    audit(db, user, "set_questionnaire_colours", None, {"questionnaire": questionnaire})
    return colours
