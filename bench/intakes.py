"""The reference intakes the benchmarks measure."""

from __future__ import annotations

from service.gen.dermtriage.v1 import triage_pb2 as pb

ADULT = pb.Patient(age_years=38, pregnant=False, fitzpatrick=pb.FITZPATRICK_III)
SUPERVISED = pb.Venue(kind=pb.VENUE_KIND_MED_SPA, medical_supervision=True)

REFERENCE = {
    "one cosmetic treatment": pb.AssessRequest(
        channel=pb.CHANNEL_BOOKING,
        patient=ADULT,
        concerns=[pb.Concern(code="wrinkles", body_site="face")],
        requested_treatments=[pb.TreatmentRequest(code="botulinum_toxin", body_site="face")],
        venue=SUPERVISED,
    ),
    "mixed: 3 concerns, 3 treatments": pb.AssessRequest(
        channel=pb.CHANNEL_BOOKING,
        patient=pb.Patient(age_years=45, pregnant=False, fitzpatrick=pb.FITZPATRICK_II, medications=["anticoagulant"]),
        concerns=[
            pb.Concern(code="acne", findings=["scarring"], body_site="face"),
            pb.Concern(code="mole", findings=["lesion_changed_size"], body_site="back"),
            pb.Concern(code="unwanted_hair", body_site="legs"),
        ],
        requested_treatments=[
            pb.TreatmentRequest(code="facial"),
            pb.TreatmentRequest(code="dermal_filler", body_site="lips"),
            pb.TreatmentRequest(code="laser_hair_removal", body_site="legs"),
        ],
        venue=SUPERVISED,
    ),
    "red flag, 10 findings": pb.AssessRequest(
        channel=pb.CHANNEL_TELEHEALTH_INTAKE,
        patient=ADULT,
        concerns=[
            pb.Concern(
                code="rash",
                body_site="whole_body",
                findings=[
                    "fever",
                    "blisters",
                    "mucosal_involvement",
                    "eye_involvement",
                    "skin_peeling",
                    "widespread_skin_pain",
                    "spreading_redness",
                    "painful",
                    "new_medication_recent",
                    "facial_or_tongue_swelling",
                ],
            )
        ],
        requested_treatments=[pb.TreatmentRequest(code="facial")],
    ),
}
