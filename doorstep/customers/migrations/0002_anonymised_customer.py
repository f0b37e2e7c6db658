import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0001_initial'),
        ('org', '0003_branch_handover_times_branch_lunch_from_and_more'),
    ]

    operations = [
        migrations.CreateModel(
            name='AnonymisedCustomer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField()),
                ('worker', models.CharField(max_length=64)),
                ('customer', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='anonymised', to='org.customer')),
            ],
        ),
    ]
