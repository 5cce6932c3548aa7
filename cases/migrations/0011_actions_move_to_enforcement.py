"""Actions and their targets now belong to the enforcement app.

Only the migration state changes: the tables ``cases_action`` and
``cases_actiontarget`` stay where they are, with their rows, and
``enforcement.0001_action_models`` takes them over under the same names.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_room_for_hot_updates")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="actiontarget", name="action"),
                migrations.RemoveField(model_name="actiontarget", name="account"),
                migrations.RemoveField(model_name="actiontarget", name="override_by"),
                migrations.DeleteModel(name="Action"),
                migrations.DeleteModel(name="ActionTarget"),
            ],
            database_operations=[],
        ),
    ]
