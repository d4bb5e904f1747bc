-- hand-written: a `requested` appointment (a time the patient asks for) holds no time; it takes
-- its time when the doctor moves it to `pending`. Only `pending` and `confirmed` appointments of
-- one doctor are kept from overlapping, so a patient cannot block a calendar with requests.
ALTER TABLE "appointments" DROP CONSTRAINT "appointments_no_overlap";

ALTER TABLE "appointments" ADD CONSTRAINT "appointments_no_overlap"
    EXCLUDE USING gist ("doctor_id" WITH =, tstzrange("starts_at", "ends_at", '[)') WITH &&)
    WHERE ("status" IN ('pending', 'confirmed'));

