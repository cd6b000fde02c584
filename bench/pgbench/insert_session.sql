\set user random(1, :users)
INSERT INTO sessions (user_id, status) VALUES (:user, 'new');
