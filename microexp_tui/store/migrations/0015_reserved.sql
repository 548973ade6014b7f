-- placeholder so that 0016 applies on this branch (0015 belongs to another part of issue 17; drop this file when merging)
SELECT 1;
