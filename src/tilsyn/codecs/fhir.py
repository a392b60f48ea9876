"""Home-monitoring data as FHIR R4: vital-signs Observations and QuestionnaireResponses.

Hubs in patients' homes publish JSON. Building gives the exact shape of the FHIR vital-signs
profile; parsing accepts that shape and the leaner one other hubs send (the LOINC code alone,
without profile or category), and raises DecodeError naming the field that is wrong.
"""

from tilsyn.codecs.observation_build import build_observation
from tilsyn.codecs.observation_parse import VitalObservation, parse_observation
from tilsyn.codecs.questionnaire import (
    QuestionnaireAnswer,
    build_questionnaire_response,
    parse_questionnaire_response,
)
from tilsyn.codecs.vital_signs import VITAL_KINDS

__all__ = [
    "VITAL_KINDS",
    "QuestionnaireAnswer",
    "VitalObservation",
    "build_observation",
    "build_questionnaire_response",
    "parse_observation",
    "parse_questionnaire_response",
]
