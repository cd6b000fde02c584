\set id random(1, :sessions)
UPDATE sessions SET status = 'open' WHERE id = :id;
