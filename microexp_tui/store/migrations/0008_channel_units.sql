-- per-channel unit, scale, offset and physical input range (board sessions: mV of their ADC)
ALTER TABLE channels ADD COLUMN unit TEXT NOT NULL DEFAULT 'mV' CHECK (length(unit) > 0);
ALTER TABLE channels ADD COLUMN scale REAL NOT NULL DEFAULT 4.8828125 CHECK (scale <> 0);
ALTER TABLE channels ADD COLUMN "offset" REAL NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN physical_min REAL;
ALTER TABLE channels ADD COLUMN physical_max REAL;
-- Every session so far came from a board: counts of a unipolar ADC of `adc_bits` bits
-- spanning 0..`adc_vref_mv` mV, as its device identity says (10 bits, 5000 mV if absent).
UPDATE channels SET
    scale = (
        SELECT vref_mv / (1 << bits) FROM (
            SELECT
                CASE WHEN typeof(json_extract(s.device, '$.adc_bits')) = 'integer'
                          AND json_extract(s.device, '$.adc_bits') BETWEEN 1 AND 15
                     THEN json_extract(s.device, '$.adc_bits') ELSE 10 END AS bits,
                CASE WHEN typeof(json_extract(s.device, '$.adc_vref_mv')) IN ('integer', 'real')
                          AND json_extract(s.device, '$.adc_vref_mv') > 0
                     THEN json_extract(s.device, '$.adc_vref_mv') * 1.0 ELSE 5000.0 END
                     AS vref_mv
            FROM sessions s WHERE s.id = channels.session_id
        )
    ),
    physical_min = 0.0,
    physical_max = (
        SELECT CASE WHEN typeof(json_extract(s.device, '$.adc_vref_mv')) IN ('integer', 'real')
                         AND json_extract(s.device, '$.adc_vref_mv') > 0
                    THEN json_extract(s.device, '$.adc_vref_mv') * 1.0 ELSE 5000.0 END
        FROM sessions s WHERE s.id = channels.session_id
    );
