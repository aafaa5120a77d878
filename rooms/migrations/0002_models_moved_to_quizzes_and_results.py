"""The models now live in quizzes and results (state only: the tables stay)."""

from django.db import migrations



class Migration(migrations.Migration):

    dependencies = [
        ('chat', '0002_game_moved_to_results'),
        ('results', '0001_initial'),
        ('quizzes', '0001_initial'),
        ('rooms', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='game',
                    name='host',
                ),
                migrations.RemoveField(
                    model_name='game',
                    name='quiz',
                ),
                migrations.RemoveField(
                    model_name='gameanswer',
                    name='game',
                ),
                migrations.RemoveField(
                    model_name='gameplayer',
                    name='game',
                ),
                migrations.RemoveField(
                    model_name='gameanswer',
                    name='player',
                ),
                migrations.RemoveField(
                    model_name='gameanswer',
                    name='question',
                ),
                migrations.RemoveField(
                    model_name='question',
                    name='quiz',
                ),
                migrations.RemoveField(
                    model_name='quiz',
                    name='owner',
                ),
                migrations.DeleteModel(
                    name='Choice',
                ),
                migrations.DeleteModel(
                    name='Game',
                ),
                migrations.DeleteModel(
                    name='GamePlayer',
                ),
                migrations.DeleteModel(
                    name='GameAnswer',
                ),
                migrations.DeleteModel(
                    name='Question',
                ),
                migrations.DeleteModel(
                    name='Quiz',
                ),
            ],
            database_operations=[],
        ),
    ]
