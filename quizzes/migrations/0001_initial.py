"""Quiz, Question and Choice move here from rooms; their tables (rooms_*) stay as they are."""

import django.core.validators
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


FORWARDS, BACKWARDS = content_types_move("quizzes", ("quiz", "question", "choice"))


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('rooms', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Question',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('order', models.PositiveIntegerField(default=0)),
                        ('kind', models.CharField(choices=[('single', 'Single choice'), ('multi', 'Multiple choice'), ('truefalse', 'True or false'), ('text', 'Type the answer'), ('slider', 'Slider'), ('poll', 'Poll')], default='single', max_length=16)),
                        ('text', models.TextField(verbose_name='text')),
                        ('image', models.ImageField(blank=True, null=True, upload_to='questions/')),
                        ('time_limit', models.PositiveIntegerField(default=20, help_text='Seconds, 5 to 240.', validators=[django.core.validators.MinValueValidator(5), django.core.validators.MaxValueValidator(240)])),
                        ('points', models.PositiveSmallIntegerField(choices=[(0, '0'), (1, '1'), (2, '2')], default=1)),
                        ('slider_min', models.FloatField(blank=True, null=True)),
                        ('slider_max', models.FloatField(blank=True, null=True)),
                        ('correct_value', models.FloatField(blank=True, help_text='Slider only.', null=True)),
                        ('tolerance', models.FloatField(blank=True, help_text='Slider only.', null=True)),
                        ('accepted_answers', models.JSONField(blank=True, default=list, help_text='Text only: a list of answers.')),
                    ],
                    options={
                        'db_table': 'rooms_question',
                        'ordering': ['order', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Choice',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('order', models.PositiveIntegerField(default=0)),
                        ('text', models.CharField(max_length=200)),
                        ('correct', models.BooleanField(default=False)),
                        ('question', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='choices', to='quizzes.question')),
                    ],
                    options={
                        'db_table': 'rooms_choice',
                        'ordering': ['order', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Quiz',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('description', models.TextField(blank=True, default='', verbose_name='description')),
                        ('language', models.CharField(choices=[('en', 'English'), ('ko', '한국어')], default='en', max_length=8, verbose_name='language')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='quizzes', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name_plural': 'quizzes',
                        'db_table': 'rooms_quiz',
                        'ordering': ['-updated_at', '-id'],
                    },
                ),
                migrations.AddField(
                    model_name='question',
                    name='quiz',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='questions', to='quizzes.quiz'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(FORWARDS, BACKWARDS),
    ]
