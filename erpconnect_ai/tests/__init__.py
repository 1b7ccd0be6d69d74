from . import test_demo_users
