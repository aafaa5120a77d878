"""The game a message belongs to is now results.Game (the same table)."""

import django.db.models.deletion
from django.db import migrations, models



class Migration(migrations.Migration):

    dependencies = [
        ('chat', '0001_initial'),
        ('results', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='chatmessage',
                    name='game',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='chat_messages', to='results.game'),
                ),
            ],
            database_operations=[],
        ),
    ]
