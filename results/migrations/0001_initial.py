"""Game, GamePlayer and GameAnswer move here from rooms; their tables (rooms_*) stay as they are."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



def content_types_move(app_label: str, models: tuple[str, ...]):
    """Existing databases: the content types (and so the permissions granted on them) follow the models."""

    def forwards(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        content_type.objects.filter(app_label="rooms", model__in=models).update(app_label=app_label)

    def backwards(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        content_type.objects.filter(app_label=app_label, model__in=models).update(app_label="rooms")

    return forwards, backwards


FORWARDS, BACKWARDS = content_types_move("results", ("game", "gameplayer", "gameanswer"))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('rooms', '0001_initial'),
        ('quizzes', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Game',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('pin', models.CharField(db_index=True, max_length=6)),
                        ('status', models.CharField(choices=[('lobby', 'Lobby'), ('running', 'Running'), ('finished', 'Finished')], default='lobby', max_length=10)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('host', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hosted_games', to=settings.AUTH_USER_MODEL)),
                        ('quiz', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='games', to='quizzes.quiz')),
                    ],
                    options={
                        'db_table': 'rooms_game',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='GamePlayer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('player_id', models.CharField(max_length=32)),
                        ('nickname', models.CharField(max_length=24)),
                        ('score', models.IntegerField(default=0)),
                        ('rank', models.PositiveIntegerField(default=0)),
                        ('streak', models.PositiveIntegerField(default=0)),
                        ('kicked', models.BooleanField(default=False)),
                        ('game', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='players', to='results.game')),
                    ],
                    options={
                        'db_table': 'rooms_gameplayer',
                        'ordering': ['rank', 'nickname'],
                    },
                ),
                migrations.CreateModel(
                    name='GameAnswer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('round', models.PositiveIntegerField()),
                        ('answer', models.JSONField()),
                        ('answered_at_ms', models.BigIntegerField()),
                        ('response_ms', models.IntegerField()),
                        ('correct', models.BooleanField(null=True)),
                        ('points', models.IntegerField(default=0)),
                        ('game', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='results.game')),
                        ('question', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='quizzes.question')),
                        ('player', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='results.gameplayer')),
                    ],
                    options={
                        'db_table': 'rooms_gameanswer',
                        'ordering': ['round', 'answered_at_ms'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='game',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'finished'), _negated=True), fields=('pin',), name='unique_pin_among_live_games'),
                ),
                migrations.AddConstraint(
                    model_name='gameplayer',
                    constraint=models.UniqueConstraint(fields=('game', 'player_id'), name='unique_player_per_game'),
                ),
                migrations.AddConstraint(
                    model_name='gameanswer',
                    constraint=models.UniqueConstraint(fields=('player', 'round'), name='one_answer_per_round'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(FORWARDS, BACKWARDS),
    ]
