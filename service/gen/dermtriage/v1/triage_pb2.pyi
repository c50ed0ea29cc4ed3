from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_BOOKING: _ClassVar[Channel]
    CHANNEL_TELEHEALTH_INTAKE: _ClassVar[Channel]

class Fitzpatrick(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FITZPATRICK_UNSPECIFIED: _ClassVar[Fitzpatrick]
    FITZPATRICK_I: _ClassVar[Fitzpatrick]
    FITZPATRICK_II: _ClassVar[Fitzpatrick]
    FITZPATRICK_III: _ClassVar[Fitzpatrick]
    FITZPATRICK_IV: _ClassVar[Fitzpatrick]
    FITZPATRICK_V: _ClassVar[Fitzpatrick]
    FITZPATRICK_VI: _ClassVar[Fitzpatrick]

class Sex(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEX_UNSPECIFIED: _ClassVar[Sex]
    SEX_FEMALE: _ClassVar[Sex]
    SEX_MALE: _ClassVar[Sex]

class VenueKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VENUE_KIND_UNSPECIFIED: _ClassVar[VenueKind]
    VENUE_KIND_MED_SPA: _ClassVar[VenueKind]
    VENUE_KIND_DERMATOLOGY_PRACTICE: _ClassVar[VenueKind]

class Route(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_UNSPECIFIED: _ClassVar[Route]
    ROUTE_DERMATOLOGIST: _ClassVar[Route]
    ROUTE_MED_SPA: _ClassVar[Route]
    ROUTE_EITHER: _ClassVar[Route]

class Urgency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    URGENCY_UNSPECIFIED: _ClassVar[Urgency]
    URGENCY_ROUTINE: _ClassVar[Urgency]
    URGENCY_SOON: _ClassVar[Urgency]
    URGENCY_URGENT: _ClassVar[Urgency]
    URGENCY_EMERGENCY: _ClassVar[Urgency]

class ConcernCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONCERN_CATEGORY_UNSPECIFIED: _ClassVar[ConcernCategory]
    CONCERN_CATEGORY_COSMETIC: _ClassVar[ConcernCategory]
    CONCERN_CATEGORY_MEDICAL: _ClassVar[ConcernCategory]
    CONCERN_CATEGORY_BOTH: _ClassVar[ConcernCategory]
    CONCERN_CATEGORY_WELLNESS: _ClassVar[ConcernCategory]

class Invasiveness(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVASIVENESS_UNSPECIFIED: _ClassVar[Invasiveness]
    INVASIVENESS_NON_INVASIVE: _ClassVar[Invasiveness]
    INVASIVENESS_MINIMALLY_INVASIVE: _ClassVar[Invasiveness]
    INVASIVENESS_INVASIVE: _ClassVar[Invasiveness]

class Practitioner(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRACTITIONER_UNSPECIFIED: _ClassVar[Practitioner]
    PRACTITIONER_ESTHETICIAN: _ClassVar[Practitioner]
    PRACTITIONER_SUPERVISED_CLINICIAN: _ClassVar[Practitioner]
    PRACTITIONER_PHYSICIAN: _ClassVar[Practitioner]

class ConceptKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONCEPT_KIND_UNSPECIFIED: _ClassVar[ConceptKind]
    CONCEPT_KIND_CONCERN: _ClassVar[ConceptKind]
    CONCEPT_KIND_FINDING: _ClassVar[ConceptKind]
    CONCEPT_KIND_BODY_SITE: _ClassVar[ConceptKind]
    CONCEPT_KIND_CONDITION: _ClassVar[ConceptKind]
    CONCEPT_KIND_MEDICATION: _ClassVar[ConceptKind]
    CONCEPT_KIND_TREATMENT: _ClassVar[ConceptKind]
    CONCEPT_KIND_FLAG: _ClassVar[ConceptKind]
    CONCEPT_KIND_PATIENT_FACT: _ClassVar[ConceptKind]
    CONCEPT_KIND_VENUE_FACT: _ClassVar[ConceptKind]

class TextAssertion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEXT_ASSERTION_UNSPECIFIED: _ClassVar[TextAssertion]
    TEXT_ASSERTION_PRESENT: _ClassVar[TextAssertion]
    TEXT_ASSERTION_NEGATED: _ClassVar[TextAssertion]
    TEXT_ASSERTION_HYPOTHETICAL: _ClassVar[TextAssertion]
    TEXT_ASSERTION_HISTORICAL: _ClassVar[TextAssertion]
    TEXT_ASSERTION_OTHER_PERSON: _ClassVar[TextAssertion]
CHANNEL_UNSPECIFIED: Channel
CHANNEL_BOOKING: Channel
CHANNEL_TELEHEALTH_INTAKE: Channel
FITZPATRICK_UNSPECIFIED: Fitzpatrick
FITZPATRICK_I: Fitzpatrick
FITZPATRICK_II: Fitzpatrick
FITZPATRICK_III: Fitzpatrick
FITZPATRICK_IV: Fitzpatrick
FITZPATRICK_V: Fitzpatrick
FITZPATRICK_VI: Fitzpatrick
SEX_UNSPECIFIED: Sex
SEX_FEMALE: Sex
SEX_MALE: Sex
VENUE_KIND_UNSPECIFIED: VenueKind
VENUE_KIND_MED_SPA: VenueKind
VENUE_KIND_DERMATOLOGY_PRACTICE: VenueKind
ROUTE_UNSPECIFIED: Route
ROUTE_DERMATOLOGIST: Route
ROUTE_MED_SPA: Route
ROUTE_EITHER: Route
URGENCY_UNSPECIFIED: Urgency
URGENCY_ROUTINE: Urgency
URGENCY_SOON: Urgency
URGENCY_URGENT: Urgency
URGENCY_EMERGENCY: Urgency
CONCERN_CATEGORY_UNSPECIFIED: ConcernCategory
CONCERN_CATEGORY_COSMETIC: ConcernCategory
CONCERN_CATEGORY_MEDICAL: ConcernCategory
CONCERN_CATEGORY_BOTH: ConcernCategory
CONCERN_CATEGORY_WELLNESS: ConcernCategory
INVASIVENESS_UNSPECIFIED: Invasiveness
INVASIVENESS_NON_INVASIVE: Invasiveness
INVASIVENESS_MINIMALLY_INVASIVE: Invasiveness
INVASIVENESS_INVASIVE: Invasiveness
PRACTITIONER_UNSPECIFIED: Practitioner
PRACTITIONER_ESTHETICIAN: Practitioner
PRACTITIONER_SUPERVISED_CLINICIAN: Practitioner
PRACTITIONER_PHYSICIAN: Practitioner
CONCEPT_KIND_UNSPECIFIED: ConceptKind
CONCEPT_KIND_CONCERN: ConceptKind
CONCEPT_KIND_FINDING: ConceptKind
CONCEPT_KIND_BODY_SITE: ConceptKind
CONCEPT_KIND_CONDITION: ConceptKind
CONCEPT_KIND_MEDICATION: ConceptKind
CONCEPT_KIND_TREATMENT: ConceptKind
CONCEPT_KIND_FLAG: ConceptKind
CONCEPT_KIND_PATIENT_FACT: ConceptKind
CONCEPT_KIND_VENUE_FACT: ConceptKind
TEXT_ASSERTION_UNSPECIFIED: TextAssertion
TEXT_ASSERTION_PRESENT: TextAssertion
TEXT_ASSERTION_NEGATED: TextAssertion
TEXT_ASSERTION_HYPOTHETICAL: TextAssertion
TEXT_ASSERTION_HISTORICAL: TextAssertion
TEXT_ASSERTION_OTHER_PERSON: TextAssertion

class AssessRequest(_message.Message):
    __slots__ = ("request_id", "channel", "patient", "concerns", "requested_treatments", "venue", "free_text")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PATIENT_FIELD_NUMBER: _ClassVar[int]
    CONCERNS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_TREATMENTS_FIELD_NUMBER: _ClassVar[int]
    VENUE_FIELD_NUMBER: _ClassVar[int]
    FREE_TEXT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    channel: Channel
    patient: Patient
    concerns: _containers.RepeatedCompositeFieldContainer[Concern]
    requested_treatments: _containers.RepeatedCompositeFieldContainer[TreatmentRequest]
    venue: Venue
    free_text: str
    def __init__(self, request_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., patient: _Optional[_Union[Patient, _Mapping]] = ..., concerns: _Optional[_Iterable[_Union[Concern, _Mapping]]] = ..., requested_treatments: _Optional[_Iterable[_Union[TreatmentRequest, _Mapping]]] = ..., venue: _Optional[_Union[Venue, _Mapping]] = ..., free_text: _Optional[str] = ...) -> None: ...

class Patient(_message.Message):
    __slots__ = ("age_years", "pregnant", "breastfeeding", "fitzpatrick", "conditions", "medications", "sex")
    AGE_YEARS_FIELD_NUMBER: _ClassVar[int]
    PREGNANT_FIELD_NUMBER: _ClassVar[int]
    BREASTFEEDING_FIELD_NUMBER: _ClassVar[int]
    FITZPATRICK_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    MEDICATIONS_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    age_years: int
    pregnant: bool
    breastfeeding: bool
    fitzpatrick: Fitzpatrick
    conditions: _containers.RepeatedScalarFieldContainer[str]
    medications: _containers.RepeatedScalarFieldContainer[str]
    sex: Sex
    def __init__(self, age_years: _Optional[int] = ..., pregnant: _Optional[bool] = ..., breastfeeding: _Optional[bool] = ..., fitzpatrick: _Optional[_Union[Fitzpatrick, str]] = ..., conditions: _Optional[_Iterable[str]] = ..., medications: _Optional[_Iterable[str]] = ..., sex: _Optional[_Union[Sex, str]] = ...) -> None: ...

class Concern(_message.Message):
    __slots__ = ("code", "findings", "body_site", "text")
    CODE_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    BODY_SITE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    code: str
    findings: _containers.RepeatedScalarFieldContainer[str]
    body_site: str
    text: str
    def __init__(self, code: _Optional[str] = ..., findings: _Optional[_Iterable[str]] = ..., body_site: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class TreatmentRequest(_message.Message):
    __slots__ = ("code", "body_site")
    CODE_FIELD_NUMBER: _ClassVar[int]
    BODY_SITE_FIELD_NUMBER: _ClassVar[int]
    code: str
    body_site: str
    def __init__(self, code: _Optional[str] = ..., body_site: _Optional[str] = ...) -> None: ...

class Venue(_message.Message):
    __slots__ = ("kind", "medical_supervision")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MEDICAL_SUPERVISION_FIELD_NUMBER: _ClassVar[int]
    kind: VenueKind
    medical_supervision: bool
    def __init__(self, kind: _Optional[_Union[VenueKind, str]] = ..., medical_supervision: _Optional[bool] = ...) -> None: ...

class AssessResponse(_message.Message):
    __slots__ = ("request_id", "decision_id", "route", "urgency", "concerns", "treatments", "flags", "reasons", "questions", "ruleset_version", "text_findings")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    CONCERNS_FIELD_NUMBER: _ClassVar[int]
    TREATMENTS_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    QUESTIONS_FIELD_NUMBER: _ClassVar[int]
    RULESET_VERSION_FIELD_NUMBER: _ClassVar[int]
    TEXT_FINDINGS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    decision_id: str
    route: Route
    urgency: Urgency
    concerns: _containers.RepeatedCompositeFieldContainer[ConcernAssessment]
    treatments: _containers.RepeatedCompositeFieldContainer[TreatmentAssessment]
    flags: _containers.RepeatedScalarFieldContainer[str]
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    questions: _containers.RepeatedCompositeFieldContainer[FollowUpQuestion]
    ruleset_version: str
    text_findings: _containers.RepeatedCompositeFieldContainer[TextFinding]
    def __init__(self, request_id: _Optional[str] = ..., decision_id: _Optional[str] = ..., route: _Optional[_Union[Route, str]] = ..., urgency: _Optional[_Union[Urgency, str]] = ..., concerns: _Optional[_Iterable[_Union[ConcernAssessment, _Mapping]]] = ..., treatments: _Optional[_Iterable[_Union[TreatmentAssessment, _Mapping]]] = ..., flags: _Optional[_Iterable[str]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., questions: _Optional[_Iterable[_Union[FollowUpQuestion, _Mapping]]] = ..., ruleset_version: _Optional[str] = ..., text_findings: _Optional[_Iterable[_Union[TextFinding, _Mapping]]] = ...) -> None: ...

class TextFinding(_message.Message):
    __slots__ = ("code", "kind", "negated", "start", "end", "field", "assertion", "used", "value")
    CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    ASSERTION_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    code: str
    kind: ConceptKind
    negated: bool
    start: int
    end: int
    field: str
    assertion: TextAssertion
    used: bool
    value: str
    def __init__(self, code: _Optional[str] = ..., kind: _Optional[_Union[ConceptKind, str]] = ..., negated: _Optional[bool] = ..., start: _Optional[int] = ..., end: _Optional[int] = ..., field: _Optional[str] = ..., assertion: _Optional[_Union[TextAssertion, str]] = ..., used: _Optional[bool] = ..., value: _Optional[str] = ...) -> None: ...

class ConcernAssessment(_message.Message):
    __slots__ = ("code", "category", "route", "urgency", "rule_ids")
    CODE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    RULE_IDS_FIELD_NUMBER: _ClassVar[int]
    code: str
    category: ConcernCategory
    route: Route
    urgency: Urgency
    rule_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., category: _Optional[_Union[ConcernCategory, str]] = ..., route: _Optional[_Union[Route, str]] = ..., urgency: _Optional[_Union[Urgency, str]] = ..., rule_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class TreatmentAssessment(_message.Message):
    __slots__ = ("code", "invasiveness", "required_practitioner", "med_spa_appropriate", "rule_ids")
    CODE_FIELD_NUMBER: _ClassVar[int]
    INVASIVENESS_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_PRACTITIONER_FIELD_NUMBER: _ClassVar[int]
    MED_SPA_APPROPRIATE_FIELD_NUMBER: _ClassVar[int]
    RULE_IDS_FIELD_NUMBER: _ClassVar[int]
    code: str
    invasiveness: Invasiveness
    required_practitioner: Practitioner
    med_spa_appropriate: bool
    rule_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., invasiveness: _Optional[_Union[Invasiveness, str]] = ..., required_practitioner: _Optional[_Union[Practitioner, str]] = ..., med_spa_appropriate: _Optional[bool] = ..., rule_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("rule_id", "summary", "source")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    summary: str
    source: str
    def __init__(self, rule_id: _Optional[str] = ..., summary: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class GetRulesetRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetRulesetResponse(_message.Message):
    __slots__ = ("ruleset_version", "rules", "concepts")
    RULESET_VERSION_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    CONCEPTS_FIELD_NUMBER: _ClassVar[int]
    ruleset_version: str
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    concepts: _containers.RepeatedCompositeFieldContainer[Concept]
    def __init__(self, ruleset_version: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ..., concepts: _Optional[_Iterable[_Union[Concept, _Mapping]]] = ...) -> None: ...

class Rule(_message.Message):
    __slots__ = ("rule_id", "summary", "source")
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    summary: str
    source: str
    def __init__(self, rule_id: _Optional[str] = ..., summary: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class Concept(_message.Message):
    __slots__ = ("code", "kind", "label", "synonyms", "icd10cm")
    CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SYNONYMS_FIELD_NUMBER: _ClassVar[int]
    ICD10CM_FIELD_NUMBER: _ClassVar[int]
    code: str
    kind: ConceptKind
    label: str
    synonyms: _containers.RepeatedScalarFieldContainer[str]
    icd10cm: str
    def __init__(self, code: _Optional[str] = ..., kind: _Optional[_Union[ConceptKind, str]] = ..., label: _Optional[str] = ..., synonyms: _Optional[_Iterable[str]] = ..., icd10cm: _Optional[str] = ...) -> None: ...

class FollowUpQuestion(_message.Message):
    __slots__ = ("id", "text", "answer_field")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    answer_field: str
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ..., answer_field: _Optional[str] = ...) -> None: ...
