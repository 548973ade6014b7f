-- predictions keep the model's raw probabilities beside the displayed (calibrated, accumulated) ones
ALTER TABLE predictions ADD COLUMN raw_probabilities BLOB;
ALTER TABLE prediction_runs ADD COLUMN display TEXT NOT NULL DEFAULT '{}';
