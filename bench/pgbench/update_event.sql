\set id random(1, :events)
UPDATE events SET hits = hits + 1 WHERE id = :id;
