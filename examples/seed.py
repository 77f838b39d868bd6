from bloop import (
    Engine, Column, Integer, Float, String,
    ObjectsNotFound, ConstraintViolation
)

engine = Engine()

class GameScores(engine.model):
    user_id = Column(Integer, hash_key=True)
    game_title = Column(String, range_key=True)
    top_score = Column(Float)
    top_score_date = Column(String)
    wins = Column(Integer)
    losses = Column(Integer)

engine.bind()

pong_score = GameScores(user_id=101, game_title="Pong")
doom_score = GameScores(user_id=102, game_title="Doom")
scores = [pong_score, doom_score]

try:
    engine.load(scores, consistent=True)
except ObjectsNotFound as e:
    print("Failed to load")
    for obj in e.missing:
        print(obj)
    pong_score.wins = 0
    doom_score.losses = 0
else:
    print("Loaded")

pong_score.wins += 1
doom_score.losses += 1

engine.save(scores)
print("Saved")

try:
    engine.delete(doom_score, condition=GameScores.losses > 3)
except ConstraintViolation as e:
    print("Failed to delete")
else:
    print("Deleted")

query = (engine.query(GameScores)
               .key(GameScores.user_id == 101)
               .filter(GameScores.losses < 10))

for result in query:
    print(result)
