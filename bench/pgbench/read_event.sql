\set id random(1, :events)
SELECT kind, hits FROM events WHERE id = :id;
